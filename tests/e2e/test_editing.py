"""Editing personas in Slack through the real server: owners and admins edit, others are refused, history shows it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import func, select

from bot import ids
from bot.blocks.edit import action_id, block_id
from bot.blocks.limits import assert_valid_blocks, assert_valid_view
from persona_store.models import Feedback, Persona
from persona_store.personas import get_persona_by_key
from slack_standin import SlackStandin
from tests.e2e.conftest import E2E, STANDIN_TEAM, RunningBot, make_e2e, run_bot

pytestmark = pytest.mark.e2e

OWNER = "U0OWNER1"  # owns Mary and Rick in the demo personas
ADMIN = "U0ADMIN"


@pytest.fixture(scope="module")
def bot(standin: SlackStandin, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningBot]:
    with run_bot(standin, tmp_path_factory.mktemp("editing"), PERSONA_BOT_ADMINS=ADMIN) as running:
        yield running


@pytest.fixture
def e2e(standin: SlackStandin, bot: RunningBot) -> Iterator[E2E]:
    world = make_e2e(standin, bot)
    for user in (OWNER, ADMIN, "U0REP"):
        standin.add_user(STANDIN_TEAM, user, user.lower())
    world.seed_personas()
    try:
        yield world
    finally:
        world.client.close()


def command(e2e: E2E, text: str, user_id: str) -> dict[str, Any]:
    reply = e2e.client.command(text, user_id=user_id, channel_id="C0DEALS")
    assert reply.status == 200, reply.text
    return reply.json() if reply.body else {}


def open_form(e2e: E2E, text: str, user_id: str) -> dict[str, Any]:
    before = (e2e.standin.last_view(user_id) or {}).get("id")
    answer = command(e2e, text, user_id)
    assert "blocks" not in answer, f"expected a modal, got {answer}"
    # The modal opens right after the acknowledgement: wait for this one, not the one opened before it.
    view: dict[str, Any] = e2e.wait_for(
        lambda: (opened := e2e.standin.last_view(user_id)) is not None and opened["id"] != before and opened
    )
    assert view["callback_id"] == ids.VIEW_EDIT_PERSONA
    assert_valid_view(view)
    return view


def initial(view: dict[str, Any], field: str) -> Any:
    block = next(b for b in view["blocks"] if b.get("block_id") == block_id(field))
    element = block["element"]
    return element.get("initial_value") or element.get("initial_user") or element.get("initial_option")


def mary(e2e: E2E) -> Persona:
    with e2e.sessions.begin() as s:
        persona = get_persona_by_key(s, e2e.workspace_id(), "marketing-director-mary")
        assert persona is not None
        return persona


def test_the_owner_edits_a_list_and_the_history_shows_the_diff(e2e: E2E) -> None:
    view = open_form(e2e, "edit mary", OWNER)
    goals = initial(view, "goals").splitlines()
    assert goals[0] == "Hit the quarterly marketing-sourced pipeline target"
    assert initial(view, "owner") == OWNER and initial(view, "status")["value"] == "active"

    new_goals = [goals[0] + "s", *goals[2:], "Cut the number of point tools in half"]
    reply = e2e.client.view_submission_from(
        view, {action_id("goals"): "\n".join(new_goals) + "\n\n", action_id("note"): "Q3 <!channel> interviews"}, OWNER
    )
    assert reply.status == 200 and not reply.body, reply.text  # the modal closes
    assert mary(e2e).revision_number == 2 and mary(e2e).goals == new_goals
    confirmation = e2e.wait_for(lambda: e2e.standin.messages(e2e.standin.dm_channel_id(OWNER)))
    assert "revision 2" in json.dumps(confirmation[-1]["blocks"])

    history = command(e2e, "history mary", "U0REP")
    assert history["response_type"] == "ephemeral"
    assert_valid_blocks(history["blocks"])
    text = "\n".join(b["text"]["text"] for b in history["blocks"] if b["type"] == "section")
    assert text.index("Revision 2") < text.index("Revision 1"), "newest first"
    assert f"<@{OWNER}>" in text and "Q3 &lt;!channel&gt; interviews" in text and "<!channel>" not in text
    assert "removed “Prove which campaigns actually turn into revenue”" in text
    assert "added “Cut the number of point tools in half”" in text
    assert "reworded “Hit the quarterly marketing-sourced pipeline target” → “Hit the quarterly" in text


def test_someone_else_is_refused_politely_and_gets_no_modal(e2e: E2E) -> None:
    answer = command(e2e, "edit mary", "U0REP")
    assert answer["response_type"] == "ephemeral"
    assert "only the owner of *Marketing Director Mary* or a persona-bot admin" in json.dumps(answer["blocks"])
    assert e2e.standin.last_view("U0REP") is None
    assert not e2e.standin.calls("views.open")
    refused_new = command(e2e, "new", "U0REP")
    assert "only persona-bot admins can add personas" in json.dumps(refused_new["blocks"])


def test_a_forged_submission_is_refused_on_save(e2e: E2E) -> None:
    view = open_form(e2e, "edit mary", OWNER)
    reply = e2e.client.view_submission_from(view, {action_id("name"): "Hijacked", action_id("note"): "mine"}, "U0REP")
    body = reply.json()
    assert body["response_action"] == "errors"
    assert "owner or an admin" in body["errors"][block_id("note")]
    assert mary(e2e).name == "Marketing Director Mary"


def test_an_admin_edits_anyone_and_problems_show_inline(e2e: E2E) -> None:
    view = open_form(e2e, "edit fiona", ADMIN)
    bad = e2e.client.view_submission_from(
        view,
        {action_id("pain_points"): "x" * 301, action_id("name"): "Marketing Director Mary", action_id("note"): "x"},
        ADMIN,
    )
    errors = bad.json()["errors"]
    assert "301 characters" in errors[block_id("pain_points")]
    fine = e2e.client.view_submission_from(
        view, {action_id("owner"): "U0NEWOWNER", action_id("role"): "CFO", action_id("note"): "New CFO"}, ADMIN
    )
    assert fine.status == 200 and not fine.body, fine.text
    with e2e.sessions.begin() as s:
        fiona = get_persona_by_key(s, e2e.workspace_id(), "finance-fiona")
        assert fiona is not None and (fiona.owner, fiona.role, fiona.revision_number) == ("U0NEWOWNER", "CFO", 2)


def test_an_admin_adds_a_persona_and_it_can_be_looked_up(e2e: E2E) -> None:
    view = open_form(e2e, "new", ADMIN)
    assert initial(view, "note") == "Created"
    reply = e2e.client.view_submission_from(
        view,
        {
            action_id("name"): "Procurement Pete",
            action_id("role"): "Head of Procurement",
            action_id("objections"): "Another vendor to onboard\nSecurity review takes a quarter",
            action_id("team_roles"): ["sales", "success"],
        },
        ADMIN,
    )
    assert reply.status == 200 and not reply.body, reply.text
    card = command(e2e, "procurement pete", "U0REP")
    assert card["blocks"][0]["text"]["text"] == "Procurement Pete"
    assert "Security review takes a quarter" in json.dumps(card["blocks"])


def test_retiring_hides_the_persona_keeps_its_feedback_and_edit_can_bring_it_back(e2e: E2E) -> None:
    persona = mary(e2e)
    with e2e.sessions.begin() as s:
        s.add(
            Feedback(
                workspace_id=e2e.workspace_id(),
                persona_id=persona.id,
                revision_number=1,
                submission_key="e2e-retire",
                author_id="U0REP",
                author_role="sales",
                source="adhoc",
                fit=4,
            )
        )
    view = open_form(e2e, "edit mary", OWNER)
    e2e.client.view_submission_from(view, {action_id("status"): "retired", action_id("note"): "Replaced"}, OWNER)
    assert "couldn't find a persona" in json.dumps(command(e2e, "marketing director mary", "U0REP")["blocks"])
    assert "Marketing Director Mary" not in json.dumps(command(e2e, "list", "U0REP")["blocks"])
    with e2e.sessions.begin() as s:
        kept = s.scalar(select(func.count(Feedback.id)).where(Feedback.persona_id == persona.id))
    assert kept == 1

    view = open_form(e2e, "edit mary", OWNER)  # retired personas can still be found to edit
    assert initial(view, "status")["value"] == "retired"
    e2e.client.view_submission_from(view, {action_id("status"): "active", action_id("note"): "Back"}, OWNER)
    assert command(e2e, "marketing director mary", "U0REP")["blocks"][0]["text"]["text"] == "Marketing Director Mary"


def test_history_and_edit_need_a_persona_name(e2e: E2E) -> None:
    assert "/persona history <name>" in json.dumps(command(e2e, "history", "U0REP")["blocks"])
    assert "couldn't find a persona" in json.dumps(command(e2e, "edit quantum astronaut", OWNER)["blocks"])


def test_ambiguous_words_offer_edit_buttons_that_open_the_form(e2e: E2E) -> None:
    e2e.seed_personas(
        "personas:\n"
        "  - {name: Sales Director Sam, role: Sales Director, owner: U0OWNER1}\n"
        "  - {name: Support Director Sue, role: Support Director, owner: U0OWNER1}\n"
    )
    answer = command(e2e, "edit director", OWNER)
    assert_valid_blocks(answer["blocks"])
    choices = [e for b in answer["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert {c["text"]["text"] for c in choices} >= {"Edit Sales Director Sam", "Edit Support Director Sue"}
    sue = next(c for c in choices if c["text"]["text"] == "Edit Support Director Sue")
    e2e.client.block_action(sue["action_id"], sue["value"], user_id=OWNER, message={"ts": "1.5", **answer})
    view = e2e.wait_for(lambda: e2e.standin.last_view(OWNER))
    assert_valid_view(view)
    assert initial(view, "name") == "Support Director Sue"
    other = next(c for c in choices if c["text"]["text"] == "Edit Sales Director Sam")
    e2e.client.block_action(other["action_id"], other["value"], user_id="U0REP", message={"ts": "1.6", **answer})
    refusal = e2e.wait_for(lambda: e2e.standin.response_posts())
    assert "only the owner of *Sales Director Sam*" in json.dumps(refusal[-1].body)
