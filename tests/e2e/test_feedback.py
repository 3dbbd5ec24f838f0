"""Feedback through the real `persona-bot serve` and the Slack stand-in: every entry point, open → fill → submit →
stored once → confirmation; Edit and Delete; duplicates; inline errors; a database outage; hostile text."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from slack_sdk import WebClient
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

from bot import ids
from bot.blocks.limits import assert_valid_blocks, assert_valid_view
from persona_store.db import make_engine
from persona_store.models import AttributeCheck, Feedback
from persona_store.personas import set_status
from persona_store.workspaces import ensure_workspace
from slack_standin import SignedSlackClient, SlackStandin
from slack_standin.client import state_values
from tests.e2e.conftest import BOT_TOKEN, E2E, SIGNING_SECRET, make_e2e, run_bot
from tests.e2e.dbproxy import DatabaseProxy

pytestmark = pytest.mark.e2e

REP = "U0DEMO002"  # Jonas Weber, sales, in the demo roster
SUCCESS = "U0DEMO003"  # Yuki Tanaka, success
CHANNEL = "C0DEALS"
# 3,000 characters of trouble: a broadcast, a mention, a link, a spreadsheet formula, control characters,
# emoji and right-to-left text.
HOSTILE_HEAD = (
    '<!channel> <@U0BOSS> <https://evil.example|click> =HYPERLINK("https://evil.example","x") '
    "\x07\x1b\x7f 🎉🔥 עברית العربية "
)
HOSTILE = HOSTILE_HEAD + "z" * (3000 - len(HOSTILE_HEAD))


# --- helpers ----------------------------------------------------------------------------------------------------


def buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    return [e for b in message.get("blocks", []) if b["type"] == "actions" for e in b["elements"]]


def find_button(message: dict[str, Any], action_id: str) -> dict[str, Any]:
    return next(b for b in buttons(message) if b["action_id"] == action_id)


def open_from_card(e2e: E2E, user: str = REP, query: str = "mary") -> dict[str, Any]:
    card = e2e.client.command(query, user_id=user, channel_id=CHANNEL).json()
    give = find_button(card, ids.ACTION_GIVE_FEEDBACK)
    reply = e2e.client.block_action(
        give["action_id"], give["value"], user_id=user, channel_id=CHANNEL, message={"ts": "1.0", **card}
    )
    assert reply.status == 200
    return wait_view(e2e, user)


def wait_view(e2e: E2E, user: str, persona_chosen: bool = False) -> dict[str, Any]:
    def ready() -> dict[str, Any] | None:
        view = e2e.standin.last_view(user)
        if view is None or (persona_chosen and not attribute_blocks(view)):
            return None
        return view

    view: dict[str, Any] = e2e.wait_for(ready)
    assert_valid_view(view)
    assert view["callback_id"] == ids.VIEW_FEEDBACK
    return view


def attribute_blocks(view: dict[str, Any]) -> list[dict[str, Any]]:
    return [b for b in view["blocks"] if b.get("block_id", "").startswith(ids.BLOCK_FEEDBACK_ATTRIBUTE + ".")]


def input_value(view: dict[str, Any], block_id: str) -> Any:
    block = next(b for b in view["blocks"] if b.get("block_id") == block_id)
    element = block["element"]
    return element.get("initial_value") or (element.get("initial_option") or {}).get("value")


def answers(view: dict[str, Any], **extra: Any) -> dict[Any, Any]:
    """A typical rep's answers: fit 4, the first statement matches, the second partly."""
    attrs = attribute_blocks(view)
    given: dict[Any, Any] = {
        ids.ACTION_FEEDBACK_FIT: "4",
        ids.ACTION_FEEDBACK_MISSING: "They care about board reporting",
    }
    if attrs:
        given[(attrs[0]["block_id"], ids.ACTION_FEEDBACK_VERDICT)] = "matches"
        given[(attrs[1]["block_id"], ids.ACTION_FEEDBACK_VERDICT)] = "partly"
    given.update(extra)
    return given


def submit(
    e2e: E2E, view: dict[str, Any], given: dict[Any, Any], user: str = REP, client: SignedSlackClient | None = None
) -> dict[str, Any]:
    reply = (client or e2e.client).view_submission_from(view, given, user_id=user)
    assert reply.status == 200, reply.text
    return reply.json() if reply.text.strip() else {}


def records(e2e: E2E) -> list[Feedback]:
    with e2e.sessions.begin() as s:
        workspace_id = ensure_workspace(s, e2e.team_id).id
        rows = s.scalars(select(Feedback).where(Feedback.workspace_id == workspace_id).order_by(Feedback.id))
        found = list(rows)
        for row in found:
            _ = row.attribute_checks
        return found


def confirmations(e2e: E2E, user: str = REP) -> list[dict[str, Any]]:
    return [m for m in e2e.standin.ephemeral_messages(user_id=user) if "feedback" in m.get("text", "").lower()]


def wait_confirmation(e2e: E2E, user: str = REP, count: int = 1) -> dict[str, Any]:
    found = e2e.wait_for(lambda: len(confirmations(e2e, user)) >= count and confirmations(e2e, user))
    message: dict[str, Any] = found[-1]
    assert_valid_blocks(message["blocks"])
    return message


def mrkdwn_texts(node: Any) -> list[str]:
    if isinstance(node, dict):
        if node.get("type") == "mrkdwn":
            return [str(node["text"])]
        return [t for value in node.values() for t in mrkdwn_texts(value)]
    if isinstance(node, list):
        return [t for item in node for t in mrkdwn_texts(item)]
    return []


def persona_options(view: dict[str, Any]) -> list[dict[str, Any]]:
    block = next(b for b in view["blocks"] if b.get("block_id") == ids.BLOCK_FEEDBACK_PERSONA)
    options: list[dict[str, Any]] = block["element"]["options"]
    return options


def pick_by_submitting(e2e: E2E, view: dict[str, Any], persona_id: str) -> dict[str, Any]:
    """Choose a persona and submit at once (no persona-switch redraw in between): the modal first shows its
    statements instead of saving; the redrawn view is returned, as Slack would show it."""
    reply = submit(e2e, view, {ids.ACTION_FEEDBACK_PERSONA: persona_id, ids.ACTION_FEEDBACK_FIT: "3"})
    assert reply["response_action"] == "update" and attribute_blocks(reply["view"])
    assert_valid_view(reply["view"])
    assert records(e2e) == []
    redrawn: dict[str, Any] = reply["view"] | {"id": view["id"], "hash": view["hash"]}
    return redrawn


def seeded(e2e: E2E) -> E2E:
    e2e.seed_personas()
    e2e.seed_roster()
    return e2e


# --- the persona card's Give feedback button ------------------------------------------------------------------


def test_card_button_opens_the_modal_preselected_and_saves_once_with_a_private_confirmation(e2e: E2E) -> None:
    seeded(e2e)
    view = open_from_card(e2e)
    assert input_value(view, ids.BLOCK_FEEDBACK_PERSONA), "Mary is preselected"
    assert input_value(view, ids.BLOCK_FEEDBACK_ROLE) == "sales", "the role comes from the roster"
    assert len(attribute_blocks(view)) == 10, "Mary's 3 goals, 4 pain points and 3 objections"
    assert "with your name" in json.dumps(view["blocks"]), "the modal says who sees the answer"

    reply = submit(e2e, view, answers(view, **{ids.ACTION_FEEDBACK_JOURNEY: "evaluation"}))
    assert reply == {}, "the modal closes"
    [record] = records(e2e)
    assert (record.fit, record.not_met, record.author_id, record.author_role) == (4, False, REP, "sales")
    assert (record.source, record.journey_stage, record.revision_number) == ("adhoc", "evaluation", 1)
    assert [(c.position, c.kind, c.verdict) for c in record.attribute_checks] == [
        (0, "goal", "matches"),
        (1, "goal", "partly"),
    ]

    confirmation = wait_confirmation(e2e)
    assert confirmation["channel"] == CHANNEL
    text = json.dumps(confirmation["blocks"], ensure_ascii=False)
    assert "Marketing Director Mary" in text and "4/5" in text and "board reporting" in text
    assert [b["action_id"] for b in buttons(confirmation)] == [ids.ACTION_FEEDBACK_EDIT, ids.ACTION_FEEDBACK_DELETE]
    assert not e2e.standin.messages(), "nothing public"


def test_haven_t_met_is_recorded_without_a_score(e2e: E2E) -> None:
    seeded(e2e)
    view = open_from_card(e2e)
    submit(e2e, view, {ids.ACTION_FEEDBACK_FIT: "not_met"})
    [record] = records(e2e)
    assert record.fit is None and record.not_met and record.attribute_checks == []
    assert "haven't met" in json.dumps(wait_confirmation(e2e)["blocks"])


def test_a_button_for_a_retired_unknown_or_foreign_persona_gets_a_friendly_note(e2e: E2E) -> None:
    seeded(e2e)
    card = e2e.client.command("mary", user_id=REP, channel_id=CHANNEL).json()
    give = find_button(card, ids.ACTION_GIVE_FEEDBACK)
    other = SignedSlackClient(e2e.bot.url, SIGNING_SECRET, standin=e2e.standin, team_id="T0ELSEWHERE")
    try:
        for client, value in ((e2e.client, "999999"), (e2e.client, "DROP TABLE"), (other, give["value"])):
            before = len(e2e.standin.response_posts())
            client.block_action(
                give["action_id"], value, user_id=REP, channel_id=CHANNEL, message={"ts": "1.0", **card}
            )
            posts = e2e.wait_for(
                lambda b=before: len(e2e.standin.response_posts()) > b and e2e.standin.response_posts()
            )
            assert "no longer available" in json.dumps(posts[-1].body)
            assert "Marketing Director Mary" not in json.dumps(posts[-1].body)
        with e2e.sessions.begin() as s:
            set_status(s, ensure_workspace(s, e2e.team_id).id, int(give["value"]), "retired", author="test")
        before = len(e2e.standin.response_posts())
        e2e.client.block_action(
            give["action_id"], give["value"], user_id=REP, channel_id=CHANNEL, message={"ts": "1.0", **card}
        )
        posts = e2e.wait_for(lambda: len(e2e.standin.response_posts()) > before and e2e.standin.response_posts())
        assert "no longer available" in json.dumps(posts[-1].body), "a retired persona takes no new feedback"
    finally:
        other.close()
    assert e2e.standin.last_view(REP) is None and records(e2e) == []


# --- /persona feedback ------------------------------------------------------------------------------------------


def test_command_without_a_persona_asks_for_one_and_follows_the_choice(e2e: E2E) -> None:
    seeded(e2e)
    reply = e2e.client.command("feedback", user_id=SUCCESS, channel_id=CHANNEL)
    assert reply.status == 200
    view = wait_view(e2e, SUCCESS)
    assert input_value(view, ids.BLOCK_FEEDBACK_PERSONA) is None and not attribute_blocks(view)
    assert input_value(view, ids.BLOCK_FEEDBACK_ROLE) == "success"

    fiona = next(o for o in persona_options(view) if o["text"]["text"] == "Finance Fiona")
    view["state"] = {
        "values": {
            ids.BLOCK_FEEDBACK_PERSONA: {
                ids.ACTION_FEEDBACK_PERSONA: {"type": "static_select", "selected_option": fiona}
            }
        }
    }
    e2e.client.block_action(ids.ACTION_FEEDBACK_PERSONA, view=view, user_id=SUCCESS, selected_option=fiona["value"])
    updated = wait_view(e2e, SUCCESS, persona_chosen=True)
    assert e2e.standin.calls("views.update")[-1].params.get("hash") == view["hash"], "the update carries the hash"
    assert "Finance Fiona" in json.dumps(updated["blocks"])

    submit(
        e2e,
        updated,
        answers(updated, **{ids.ACTION_FEEDBACK_PERSONA: fiona["value"], ids.ACTION_FEEDBACK_ROLE: "onboarding"}),
        user=SUCCESS,
    )
    [record] = records(e2e)
    assert record.persona_id == int(fiona["value"]) and record.author_role == "onboarding"
    assert len(record.attribute_checks) == 2
    wait_confirmation(e2e, SUCCESS)


def test_a_persona_switch_that_loses_the_race_is_redrawn_when_submitted(e2e: E2E) -> None:
    seeded(e2e)
    view = open_from_card(e2e)
    fiona = next(o for o in persona_options(view) if o["text"]["text"] == "Finance Fiona")
    stale = view | {"hash": "1.stale"}  # another update landed first
    stale["state"] = {
        "values": {
            ids.BLOCK_FEEDBACK_PERSONA: {
                ids.ACTION_FEEDBACK_PERSONA: {"type": "static_select", "selected_option": fiona}
            }
        }
    }
    reply = e2e.client.block_action(
        ids.ACTION_FEEDBACK_PERSONA, view=stale, user_id=REP, selected_option=fiona["value"]
    )
    assert reply.status == 200
    update = e2e.wait_for(lambda: e2e.standin.calls("views.update"))
    assert update[-1].error == "hash_conflict"
    shown = json.dumps(e2e.standin.view(view["id"])["blocks"])
    assert "statement about Marketing Director Mary" in shown, "the stale update was refused"
    assert "listener failed" not in e2e.bot.process.logs()
    redrawn = pick_by_submitting(e2e, view, fiona["value"])
    assert "statement about Finance Fiona" in json.dumps(redrawn["blocks"])


def test_command_with_words_preselects_the_persona_they_match(e2e: E2E) -> None:
    seeded(e2e)
    e2e.client.command("feedback fionna", user_id=REP, channel_id=CHANNEL)
    view = wait_view(e2e, REP)
    assert "Finance Fiona" in json.dumps(view["blocks"]) and attribute_blocks(view)
    submit(e2e, view, answers(view))
    assert len(records(e2e)) == 1


def test_submitting_with_statements_of_another_persona_redraws_before_saving(e2e: E2E) -> None:
    seeded(e2e)
    view = open_from_card(e2e)
    fiona = next(o for o in persona_options(view) if o["text"]["text"] == "Finance Fiona")
    redrawn = pick_by_submitting(e2e, view, fiona["value"])
    assert "statement about Finance Fiona" in json.dumps(redrawn["blocks"])
    assert submit(e2e, redrawn, answers(redrawn, **{ids.ACTION_FEEDBACK_PERSONA: fiona["value"]})) == {}
    assert [r.persona_id for r in records(e2e)] == [int(fiona["value"])]


def test_command_in_a_workspace_without_personas_says_so(e2e: E2E) -> None:
    e2e.client.command("feedback", user_id=REP, channel_id=CHANNEL)
    posts = e2e.wait_for(lambda: e2e.standin.response_posts())
    assert "no active personas" in json.dumps(posts[0].body)


# --- the message shortcut ---------------------------------------------------------------------------------------


def post_customer_quote(standin: SlackStandin, text: str) -> dict[str, Any]:
    """A message in the deal channel (posted through the stand-in so chat.getPermalink knows it)."""
    client = WebClient(token=BOT_TOKEN, base_url=standin.api_url)
    answer = client.chat_postMessage(channel=CHANNEL, text=text)
    return {"ts": answer["ts"], "text": text, "user": "U0CUSTOMER"}


def test_shortcut_prefills_the_message_as_evidence_with_its_link(e2e: E2E) -> None:
    seeded(e2e)
    message = post_customer_quote(e2e.standin, "Call note: “we'd never let marketing buy tools without IT”")
    reply = e2e.client.message_shortcut(ids.SHORTCUT_LOG_FEEDBACK, message, channel_id=CHANNEL, user_id=REP)
    assert reply.status == 200
    view = wait_view(e2e, REP)
    assert input_value(view, ids.BLOCK_FEEDBACK_QUOTE) == message["text"]
    view = e2e.wait_for(
        lambda: (
            "archives" in (e2e.standin.last_view(REP) or {}).get("private_metadata", "") and e2e.standin.last_view(REP)
        )
    )

    rick = next(o for o in persona_options(view) if o["text"]["text"] == "RevOps Rick")
    view["state"] = {
        "values": {
            ids.BLOCK_FEEDBACK_PERSONA: {
                ids.ACTION_FEEDBACK_PERSONA: {"type": "static_select", "selected_option": rick}
            }
        }
    }
    e2e.client.block_action(ids.ACTION_FEEDBACK_PERSONA, view=view, user_id=REP, selected_option=rick["value"])
    view = wait_view(e2e, REP, persona_chosen=True)
    assert input_value(view, ids.BLOCK_FEEDBACK_QUOTE) == message["text"], "the quote survives the switch"

    submit(
        e2e,
        view,
        answers(view, **{ids.ACTION_FEEDBACK_PERSONA: rick["value"], ids.ACTION_FEEDBACK_EVIDENCE: "ACME renewal"}),
    )
    [record] = records(e2e)
    assert record.source == "shortcut" and record.evidence_message == message["text"]
    assert record.evidence_permalink.startswith("https://") and CHANNEL in record.evidence_permalink
    assert record.evidence_ref == "ACME renewal"
    text = json.dumps(wait_confirmation(e2e)["blocks"], ensure_ascii=False)
    assert record.evidence_permalink in text and "never let marketing buy tools" in text


def test_shortcut_in_a_dm_confirms_by_dm_and_says_when_a_long_message_was_cut(e2e: E2E) -> None:
    seeded(e2e)
    long_text = "Notes from the QBR. " + "a" * 5000
    dm = e2e.standin.dm_channel_id(REP)
    e2e.client.message_shortcut(
        ids.SHORTCUT_LOG_FEEDBACK, {"ts": "1700000000.000100", "text": long_text}, channel_id=dm, user_id=REP
    )
    view = wait_view(e2e, REP)
    assert input_value(view, ids.BLOCK_FEEDBACK_QUOTE) == long_text[:3000]
    assert "longer than a form field holds" in json.dumps(view["blocks"])
    first = persona_options(view)[0]["value"]
    view = pick_by_submitting(e2e, view, first)
    assert submit(e2e, view, {ids.ACTION_FEEDBACK_PERSONA: first, ids.ACTION_FEEDBACK_FIT: "2"}) == {}
    [record] = records(e2e)
    assert record.evidence_message == long_text[:3000] and record.evidence_permalink == ""
    dm_message = e2e.wait_for(lambda: e2e.standin.messages(dm))
    assert "recorded" in dm_message[-1]["text"]


# --- Edit and Delete --------------------------------------------------------------------------------------------


def test_edit_reopens_prefilled_and_saving_updates_the_same_record(e2e: E2E) -> None:
    seeded(e2e)
    view = open_from_card(e2e)
    submit(e2e, view, answers(view, **{ids.ACTION_FEEDBACK_EVIDENCE: "https://crm.example/deals/42"}))
    confirmation = wait_confirmation(e2e)
    edit = find_button(confirmation, ids.ACTION_FEEDBACK_EDIT)
    e2e.standin.clear()
    e2e.client.block_action(
        edit["action_id"], edit["value"], user_id=REP, channel_id=CHANNEL, message={"ts": "2.0", **confirmation}
    )
    edit_view = wait_view(e2e, REP)
    assert input_value(edit_view, ids.BLOCK_FEEDBACK_FIT) == "4"
    assert input_value(edit_view, ids.BLOCK_FEEDBACK_EVIDENCE) == "https://crm.example/deals/42"
    attrs = attribute_blocks(edit_view)
    assert input_value(edit_view, attrs[0]["block_id"]) == "matches"

    given = {ids.ACTION_FEEDBACK_FIT: "2", (attrs[0]["block_id"], ids.ACTION_FEEDBACK_VERDICT): "doesnt"}
    submit(e2e, edit_view, given)
    submit(e2e, edit_view, given)  # a double click on Save
    [record] = records(e2e)
    assert record.fit == 2 and record.evidence_ref == "https://crm.example/deals/42"
    assert {c.position: c.verdict for c in record.attribute_checks} == {0: "doesnt", 1: "partly"}
    assert record.updated_at > record.created_at
    assert "Updated" in json.dumps(wait_confirmation(e2e)["blocks"])


def test_only_the_author_can_edit_or_delete(e2e: E2E) -> None:
    seeded(e2e)
    view = open_from_card(e2e)
    submit(e2e, view, answers(view))
    confirmation = wait_confirmation(e2e)
    for action in (ids.ACTION_FEEDBACK_EDIT, ids.ACTION_FEEDBACK_DELETE):
        button = find_button(confirmation, action)
        before = len(e2e.standin.response_posts())
        e2e.client.block_action(
            action, button["value"], user_id=SUCCESS, channel_id=CHANNEL, message={"ts": "3.0", **confirmation}
        )
        posts = e2e.wait_for(lambda b=before: len(e2e.standin.response_posts()) > b and e2e.standin.response_posts())
        assert "Only the person who gave this feedback" in json.dumps(posts[-1].body)
    assert e2e.standin.last_view(SUCCESS) is None
    assert len(records(e2e)) == 1


def test_delete_removes_the_record_and_says_so_in_place(e2e: E2E) -> None:
    seeded(e2e)
    view = open_from_card(e2e)
    submit(e2e, view, answers(view))
    confirmation = wait_confirmation(e2e)
    delete = find_button(confirmation, ids.ACTION_FEEDBACK_DELETE)
    assert delete.get("confirm"), "Delete asks first"
    for _ in range(2):  # the second click finds nothing to delete
        e2e.client.block_action(
            delete["action_id"], delete["value"], user_id=REP, channel_id=CHANNEL, message={"ts": "4.0", **confirmation}
        )
    posts = e2e.wait_for(lambda: len(e2e.standin.response_posts()) >= 2 and e2e.standin.response_posts())
    bodies = [json.dumps(p.body) for p in posts]
    assert any("is deleted" in b for b in bodies) and any("already gone" in b for b in bodies)
    assert next(p.body for p in posts if "is deleted" in json.dumps(p.body))["replace_original"] is True
    assert records(e2e) == []
    with e2e.sessions.begin() as s:
        checks = (
            select(func.count()).select_from(AttributeCheck).where(AttributeCheck.feedback_id == int(delete["value"]))
        )
        assert s.scalar(checks) == 0


# --- duplicates -------------------------------------------------------------------------------------------------


def test_eight_identical_submissions_at_once_store_one_record_and_all_succeed(e2e: E2E) -> None:
    seeded(e2e)
    view = open_from_card(e2e)
    given = answers(view)
    barrier = threading.Barrier(8)
    replies: list[tuple[int, str]] = []
    clients = [
        SignedSlackClient(e2e.bot.url, SIGNING_SECRET, standin=e2e.standin, team_id=e2e.team_id) for _ in range(8)
    ]

    def send(client: SignedSlackClient) -> None:
        barrier.wait()
        reply = client.view_submission_from(view, given, user_id=REP)
        replies.append((reply.status, reply.text))

    threads = [threading.Thread(target=send, args=(c,)) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for client in clients:
        client.close()
    assert [status for status, _ in replies] == [200] * 8
    assert all("errors" not in body for _, body in replies)
    [record] = records(e2e)
    assert len(record.attribute_checks) == 2
    wait_confirmation(e2e)
    time.sleep(0.3)  # any stray second confirmation would have arrived by now
    assert len(confirmations(e2e)) == 1, "one confirmation for one record"


# --- inline validation ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "block_id", "words"),
    [
        ({ids.ACTION_FEEDBACK_FIT: None}, ids.BLOCK_FEEDBACK_FIT, "how well this persona fits"),
        ({ids.ACTION_FEEDBACK_EVIDENCE: "htps://crm.example/1"}, ids.BLOCK_FEEDBACK_EVIDENCE, "web address"),
        ({ids.ACTION_FEEDBACK_EVIDENCE: "see http//crm.example"}, ids.BLOCK_FEEDBACK_EVIDENCE, "web address"),
        ({ids.ACTION_FEEDBACK_MISSING: "x" * 3001}, ids.BLOCK_FEEDBACK_MISSING, "3,000 characters"),
        ({ids.ACTION_FEEDBACK_PERSONA: None}, ids.BLOCK_FEEDBACK_PERSONA, "choose a persona"),
    ],
)
def test_problems_come_back_inline_next_to_the_field(
    e2e: E2E, given: dict[str, Any], block_id: str, words: str
) -> None:
    seeded(e2e)
    view = open_from_card(e2e)
    state = {**answers(view), **{k: v for k, v in given.items() if v is not None}}
    values = state_values(view, state)
    for key, value in given.items():
        if value is None:
            block = next(b for b in view["blocks"] if b.get("element", {}).get("action_id") == key)
            values[block["block_id"]][key] = {"type": block["element"]["type"], "selected_option": None}
    reply = e2e.client.view_submission(view, values, user_id=REP)
    assert reply.status == 200
    body = reply.json()
    assert body["response_action"] == "errors"
    assert words in body["errors"][block_id]
    assert records(e2e) == []


def test_every_free_text_input_carries_a_max_length(e2e: E2E) -> None:
    seeded(e2e)
    e2e.client.message_shortcut(
        ids.SHORTCUT_LOG_FEEDBACK, {"ts": "1.5", "text": "quote"}, channel_id=CHANNEL, user_id=REP
    )
    view = wait_view(e2e, REP)
    texts = [
        b["element"] for b in view["blocks"] if b["type"] == "input" and b["element"]["type"] == "plain_text_input"
    ]
    assert len(texts) == 4 and all(e["max_length"] == 3000 for e in texts)


# --- hostile text -----------------------------------------------------------------------------------------------


def test_hostile_text_in_every_free_text_field_is_stored_faithfully_and_echoed_escaped(e2e: E2E) -> None:
    seeded(e2e)
    e2e.client.message_shortcut(
        ids.SHORTCUT_LOG_FEEDBACK, {"ts": "1.6", "text": HOSTILE}, channel_id=CHANNEL, user_id=REP
    )
    view = wait_view(e2e, REP)
    mary = persona_options(view)[0]["value"]
    view = pick_by_submitting(e2e, view, mary)
    given = {
        ids.ACTION_FEEDBACK_FIT: "3",
        ids.ACTION_FEEDBACK_MISSING: HOSTILE,
        ids.ACTION_FEEDBACK_OBJECTIONS: HOSTILE,
        ids.ACTION_FEEDBACK_QUOTE: HOSTILE,
        ids.ACTION_FEEDBACK_EVIDENCE: HOSTILE,
        ids.ACTION_FEEDBACK_PERSONA: mary,
    }
    assert submit(e2e, view, given) == {}
    [record] = records(e2e)
    assert len(HOSTILE) == 3000
    assert [record.missing_text, record.objections_text, record.evidence_message, record.evidence_ref] == [HOSTILE] * 4

    confirmation = wait_confirmation(e2e)
    for shown in [*mrkdwn_texts(confirmation["blocks"]), confirmation["text"]]:
        assert "<!channel>" not in shown and "<@U0BOSS>" not in shown and "<https://evil" not in shown
        assert "\x07" not in shown and "\x1b" not in shown
    echoed = " ".join(mrkdwn_texts(confirmation["blocks"]))
    assert (
        "&lt;!channel&gt;" in echoed
        and "🎉🔥 עברית العربية" in echoed
        and '=HYPERLINK("https://evil.example","x")' in echoed
    )

    edit = find_button(confirmation, ids.ACTION_FEEDBACK_EDIT)
    e2e.client.block_action(
        edit["action_id"], edit["value"], user_id=REP, channel_id=CHANNEL, message={"ts": "5.0", **confirmation}
    )
    e2e.wait_for(lambda: len(e2e.standin.calls("views.open")) >= 2)
    edit_view = wait_view(e2e, REP)
    assert input_value(edit_view, ids.BLOCK_FEEDBACK_MISSING) == HOSTILE, "Edit shows exactly what was typed"


# --- the database down at submit time -------------------------------------------------------------------------


@pytest.fixture
def bot_behind_a_proxy(standin: SlackStandin, postgres_url: str, tmp_path: Path) -> Iterator[tuple[E2E, DatabaseProxy]]:
    """`persona-bot serve` on a private PostgreSQL database reached through a proxy the test can cut."""
    engine = make_engine(postgres_url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    target = make_url(postgres_url)
    with DatabaseProxy(target.host or "127.0.0.1", target.port or 5432) as proxy:
        url = target.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
        with run_bot(standin, tmp_path, DATABASE_URL=url) as running:
            world = make_e2e(standin, running)
            try:
                yield world, proxy
            finally:
                world.client.close()


def test_database_down_at_submit_keeps_the_answers_and_saves_nothing(
    bot_behind_a_proxy: tuple[E2E, DatabaseProxy],
) -> None:
    e2e, proxy = bot_behind_a_proxy
    seeded(e2e)
    view = open_from_card(e2e)
    secret_words = "Confidential: ACME budget is 40k"
    given = answers(view, **{ids.ACTION_FEEDBACK_MISSING: secret_words})

    proxy.cut()
    reply = submit(e2e, view, given)
    assert reply["response_action"] == "errors"
    assert "couldn't save" in reply["errors"][ids.BLOCK_FEEDBACK_PERSONA]
    assert "your answers are still here" in reply["errors"][ids.BLOCK_FEEDBACK_PERSONA]

    proxy.restore()
    assert records(e2e) == [], "nothing was half-written"
    assert submit(e2e, view, given) == {}, "trying again saves"
    [record] = records(e2e)
    assert record.missing_text == secret_words
    wait_confirmation(e2e)

    logs = e2e.bot.process.logs()
    assert "feedback not saved: database unavailable" in logs
    assert secret_words not in logs and BOT_TOKEN not in logs and SIGNING_SECRET not in logs


def test_give_feedback_from_a_surface_without_a_channel_confirms_by_dm(e2e: E2E) -> None:
    """E.g. a Give feedback button on the App Home tab: no channel, no response_url."""
    seeded(e2e)
    card = e2e.client.command("mary", user_id=REP, channel_id=CHANNEL).json()
    give = find_button(card, ids.ACTION_GIVE_FEEDBACK)
    e2e.client.block_action(give["action_id"], "999999", user_id=REP, response_url=False)
    dm = e2e.standin.dm_channel_id(REP)
    note = e2e.wait_for(lambda: e2e.standin.messages(dm))
    assert "no longer available" in json.dumps(note[-1])

    e2e.client.block_action(give["action_id"], give["value"], user_id=REP, response_url=False)
    view = wait_view(e2e, REP)
    assert submit(e2e, view, answers(view)) == {}
    assert len(records(e2e)) == 1
    confirmation = e2e.wait_for(lambda: len(e2e.standin.messages(dm)) >= 2 and e2e.standin.messages(dm))
    assert "is recorded" in json.dumps(confirmation[-1]["blocks"]) and not confirmations(e2e)
