"""Demo scenes for structured feedback: a rep gives feedback from a persona card, and a customer-success manager
logs it from a call note with the message shortcut."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_sdk import WebClient

from bot import ids
from bot.demo.world import DemoWorld, Scene

DEAL_CHANNEL = "C0DEALS"


def _view_when(world: DemoWorld, user_id: str, ready: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    """The person's modal once `ready` says it has been (re)drawn."""

    def current() -> dict[str, Any]:
        view = world.standin.last_view(user_id)
        return view if view is not None and ready(view) else {}

    return world.standin.wait_for(current, timeout=10)


def _new_view(world: DemoWorld, user_id: str, opened_before: int) -> dict[str, Any]:
    world.standin.wait_for(lambda: len(world.standin.calls("views.open")) > opened_before, timeout=10)
    return _view_when(world, user_id, lambda view: True)


def _attribute_blocks(view: dict[str, Any]) -> list[dict[str, Any]]:
    return [b for b in view["blocks"] if str(b.get("block_id", "")).startswith(ids.BLOCK_FEEDBACK_ATTRIBUTE + ".")]


def _confirmation(world: DemoWorld, user_id: str, before: int) -> dict[str, Any]:
    def latest() -> dict[str, Any]:
        found = world.standin.ephemeral_messages(user_id=user_id)
        return found[-1] if len(found) > before else {}

    return world.standin.wait_for(latest, timeout=10)


def scene_feedback_from_card(world: DemoWorld) -> None:
    rep = world.person_by_role("sales", manager=False)
    card = world.client.command("mary", user_id=rep, channel_id=DEAL_CHANNEL).json()
    give = next(
        e
        for b in card["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == ids.ACTION_GIVE_FEEDBACK
    )
    world.act(rep, "clicks “Give feedback” on Mary's card in #deals")
    opened = len(world.standin.calls("views.open"))
    world.client.block_action(
        give["action_id"], give["value"], user_id=rep, channel_id=DEAL_CHANNEL, message={"ts": "1.0", **card}
    )
    view = _new_view(world, rep, opened)
    world.show("a form opens with Mary chosen and their role filled in from the roster", view)

    world.act(rep, "rates Mary 4 of 5, marks three statements, says what's missing and saves")
    attrs = _attribute_blocks(view)
    before = len(world.standin.ephemeral_messages(user_id=rep))
    world.client.view_submission_from(
        view,
        {
            ids.ACTION_FEEDBACK_FIT: "4",
            (attrs[0]["block_id"], ids.ACTION_FEEDBACK_VERDICT): "matches",
            (attrs[3]["block_id"], ids.ACTION_FEEDBACK_VERDICT): "matches",
            (attrs[-1]["block_id"], ids.ACTION_FEEDBACK_VERDICT): "doesnt",
            ids.ACTION_FEEDBACK_MISSING: "Mid-market directors now report to a CRO, not the CEO",
            ids.ACTION_FEEDBACK_EVIDENCE: "https://crm.example.com/deals/4711",
            ids.ACTION_FEEDBACK_JOURNEY: "evaluation",
        },
        user_id=rep,
    )
    world.show("only they see", _confirmation(world, rep, before))


def scene_feedback_from_shortcut(world: DemoWorld) -> None:
    csm = world.person_by_role("success")
    note = "Call with Northwind: “our CFO signs off on anything over $10k, and she wants payback inside a year”"
    poster = WebClient(token=world.settings.slack_bot_token, base_url=world.settings.slack_api_url)
    message = poster.chat_postMessage(channel=DEAL_CHANNEL, text=note)
    world.act(csm, "picks ⋯ → “Log persona feedback” on a call note in #deals")
    opened = len(world.standin.calls("views.open"))
    world.client.message_shortcut(
        ids.SHORTCUT_LOG_FEEDBACK, {"ts": message["ts"], "text": note}, channel_id=DEAL_CHANNEL, user_id=csm
    )
    view = _new_view(world, csm, opened)
    world.show("a form opens with the note quoted as evidence (and a link back to it)", view)

    persona_block = next(b for b in view["blocks"] if b.get("block_id") == ids.BLOCK_FEEDBACK_PERSONA)
    fiona = next(o for o in persona_block["element"]["options"] if "Fiona" in o["text"]["text"])
    world.act(csm, "chooses Finance Fiona: her goals, pain points and objections appear")
    view = _view_when(world, csm, lambda view: "archives" in view.get("private_metadata", ""))
    view["state"] = {
        "values": {
            ids.BLOCK_FEEDBACK_PERSONA: {
                ids.ACTION_FEEDBACK_PERSONA: {"type": "static_select", "selected_option": fiona}
            }
        }
    }
    world.client.block_action(ids.ACTION_FEEDBACK_PERSONA, view=view, user_id=csm, selected_option=fiona["value"])
    view = _view_when(world, csm, lambda view: bool(_attribute_blocks(view)))
    world.show("the form now asks about Fiona's statements", {"blocks": view["blocks"][5:10]})

    world.act(csm, "rates Fiona 5 of 5, notes the objection they heard and saves")
    attrs = _attribute_blocks(view)
    before = len(world.standin.ephemeral_messages(user_id=csm))
    world.client.view_submission_from(
        view,
        {
            ids.ACTION_FEEDBACK_PERSONA: fiona["value"],
            ids.ACTION_FEEDBACK_FIT: "5",
            (attrs[2]["block_id"], ids.ACTION_FEEDBACK_VERDICT): "matches",
            ids.ACTION_FEEDBACK_OBJECTIONS: "Wants payback inside twelve months before signing",
            ids.ACTION_FEEDBACK_JOURNEY: "purchase",
        },
        user_id=csm,
    )
    world.show("only they see", _confirmation(world, csm, before))


FEEDBACK_SCENES: list[Scene] = [scene_feedback_from_card, scene_feedback_from_shortcut]
