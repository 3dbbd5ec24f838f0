"""Adaptive check-ins and revision drafts end to end, through the real `persona-bot serve` and the stand-in.

The light pages (the role once, fit, at most four statements chosen for the rep, what's missing; the same questions
when reopened; one time estimate in the DM and on Home), a revision draft accepted from Home (the edit form's note
cites the evidence, `/persona history` shows it, the reworded statement starts afresh) and a draft dismissed from
the owner's review DM.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot import ids
from bot.blocks.edit import action_id as edit_action
from bot.blocks.limits import assert_valid_blocks, assert_valid_view
from persona_store.evidence import load_evidence
from persona_store.feedback import FeedbackAnswers, record_feedback
from persona_store.files import parse_persona_file
from persona_store.models import AttributeCheck, CheckinQuestions, Feedback, Persona, RevisionDecision, utcnow
from persona_store.personas import get_persona_by_key, import_personas
from persona_store.quarters import Period, current_quarter
from persona_store.workspaces import ensure_workspace
from slack_standin.client import state_values
from tests.e2e.conftest import DEMO_DATA, E2E, STANDIN_TEAM
from tests.e2e.test_checkins import checkin_env, cli, dm_of, element

pytestmark = pytest.mark.e2e

REP = "U0DEMO002"  # Jonas, sales
OWNER = "U0OWNER1"  # owns Mary in bot/demo_data/personas.yaml
MARY = "marketing-director-mary"
ATTRIBUTION = "Attribution breaks between the marketing automation tool and the CRM"
QUOTES = ("Our CRM sync is fine; the pain is who owns the number", "They buy one suite now", "Not in enterprise deals")


def _attribute_ids(view: dict[str, Any]) -> list[str]:
    return [
        b["block_id"] for b in view["blocks"] if str(b.get("block_id", "")).startswith(ids.BLOCK_FEEDBACK_ATTRIBUTE)
    ]


def _start(e2e: E2E, user_id: str) -> dict[str, Any]:
    dm = dm_of(e2e, user_id)
    start = element(dm, ids.ACTION_CHECKIN_START)
    before = (e2e.standin.last_view(user_id) or {}).get("id")
    e2e.client.block_action(start["action_id"], start["value"], user_id=user_id, message=dm)
    view: dict[str, Any] = e2e.wait_for(
        lambda: (v := e2e.standin.last_view(user_id)) and v.get("id") != before and v.get("callback_id") and v
    )
    return view


def _submit(e2e: E2E, user_id: str, view: dict[str, Any], extra: dict[str, Any] | None = None) -> dict[str, Any]:
    answers: dict[str | tuple[str, str], Any] = {ids.ACTION_FEEDBACK_FIT: "4"}
    for block_id in _attribute_ids(view):
        answers[(block_id, ids.ACTION_FEEDBACK_VERDICT)] = "doesnt"
    values = state_values(view, answers)
    values.update(extra or {})
    reply = e2e.client.view_submission(view, values, user_id)
    assert reply.status == 200, reply.text
    body: dict[str, Any] = reply.json()
    assert body["response_action"] == "update", body
    return {**body["view"], "id": view["id"]}


def test_adaptive_pages_ask_few_questions_the_role_once_and_the_same_ones_when_reopened(e2e: E2E) -> None:
    e2e.seed_personas()
    e2e.seed_roster()
    env = checkin_env(e2e)
    opened = cli(env, "checkin", "open", "--quarter", current_quarter(utcnow()).label)
    assert opened.returncode == 0, opened.stderr

    dm_text = json.dumps(dm_of(e2e, REP)["blocks"])
    estimate = re.search(r"about \d+ minutes?: \d+ personas?, \d+ questions in all", dm_text)
    assert estimate, dm_text
    e2e.client.app_home_opened(REP)
    home = e2e.wait_for(lambda: e2e.standin.home_view(STANDIN_TEAM, REP))
    assert estimate.group(0) in json.dumps(home["blocks"]), "the DM and Home give one estimate"

    first = _start(e2e, REP)
    assert_valid_view(first)
    inputs = {b["block_id"]: b for b in first["blocks"] if b["type"] == "input"}
    role = inputs[ids.BLOCK_FEEDBACK_ROLE]["element"]["initial_option"]["value"]
    assert role == "sales", "the role comes from the roster, to confirm"
    asked_first = _attribute_ids(first)
    assert 1 <= len(asked_first) <= 4
    assert ids.BLOCK_FEEDBACK_MISSING in inputs and ids.BLOCK_FEEDBACK_JOURNEY not in inputs
    assert ids.BLOCK_FEEDBACK_EVIDENCE not in inputs

    # page 2: no role; a forged verdict on a statement this rep was not asked is dropped by the server
    second = _submit(e2e, REP, first)
    assert ids.BLOCK_FEEDBACK_ROLE not in {b.get("block_id") for b in second["blocks"]}
    asked_second = _attribute_ids(second)
    assert 1 <= len(asked_second) <= 4
    persona_id = int(asked_second[0].split(".")[1])
    revision = asked_second[0].split(".")[2]
    unasked = next(
        n for n in range(40) if f"{ids.BLOCK_FEEDBACK_ATTRIBUTE}.{persona_id}.{revision}.{n}" not in asked_second
    )
    forged = {
        f"{ids.BLOCK_FEEDBACK_ATTRIBUTE}.{persona_id}.{revision}.{unasked}": {
            ids.ACTION_FEEDBACK_VERDICT: {"type": "static_select", "selected_option": {"value": "doesnt"}}
        }
    }
    view = _submit(e2e, REP, second, forged)
    while view.get("submit"):
        assert ids.BLOCK_FEEDBACK_ROLE not in {b.get("block_id") for b in view["blocks"]}
        assert len(_attribute_ids(view)) <= 4
        view = _submit(e2e, REP, view)
    assert "Thank you" in json.dumps(view["blocks"])

    with e2e.sessions.begin() as s:
        plans = list(s.scalars(select(CheckinQuestions).where(CheckinQuestions.slack_user_id == REP)))
        assert plans and all(len(p.positions) <= 4 for p in plans)
        stored = sorted(
            s.scalars(
                select(AttributeCheck.position)
                .join(Feedback, Feedback.id == AttributeCheck.feedback_id)
                .where(Feedback.author_id == REP, Feedback.persona_id == persona_id)
            )
        )
        assert unasked not in stored and len(stored) == len(asked_second)
        assert set(s.scalars(select(Feedback.author_role).where(Feedback.author_id == REP))) == {"sales"}

    # reopening shows the very same questions (as "Revise my answers")
    again = _start(e2e, REP)
    assert _attribute_ids(again) == asked_first


def _seed_dispute(e2e: E2E, *, imported_days_ago: int = 0) -> int:
    """Mary's attribution pain point: 5 of 7 people say it doesn't match, three of them say why."""
    with e2e.sessions.begin() as s:
        workspace_id = ensure_workspace(s, e2e.team_id).id
        specs = parse_persona_file(DEMO_DATA / "personas.yaml")
        import_personas(s, workspace_id, specs, author="import", now=utcnow() - timedelta(days=imported_days_ago))
        mary = get_persona_by_key(s, workspace_id, MARY)
        assert mary is not None
        position = mary.attributes().index(("pain_point", ATTRIBUTION))
        for n in range(7):
            verdict = "doesnt" if n < 5 else "matches"
            note = QUOTES[n] if n < 3 else ""
            answers = FeedbackAnswers(
                mary.id, mary.revision_number, "sales", 3, verdicts={position: verdict}, missing_text=note
            )
            record_feedback(s, workspace_id, answers, submission_key=f"d{n}", author_id=f"U0VOTE{n}", source="adhoc")
        return mary.id


def _owner_home(e2e: E2E) -> dict[str, Any]:
    before = e2e.standin.home_view(STANDIN_TEAM, OWNER)
    e2e.client.app_home_opened(OWNER)
    view: dict[str, Any] = e2e.wait_for(lambda: (v := e2e.standin.home_view(STANDIN_TEAM, OWNER)) != before and v)
    assert_valid_view(view)
    return view


def test_a_draft_accepted_from_home_cites_its_evidence_and_the_reworded_statement_starts_afresh(e2e: E2E) -> None:
    e2e.standin.add_user(STANDIN_TEAM, OWNER, "owner")
    mary_id = _seed_dispute(e2e)
    home = _owner_home(e2e)
    text = json.dumps(home["blocks"], ensure_ascii=False)
    assert f"Reword or remove pain point “{ATTRIBUTION}”" in text and "5 of 7 said it doesn't match" in text
    for quote in QUOTES:
        assert quote.replace("'", "") in text.replace("'", "")

    e2e.client.block_action(ids.ACTION_DRAFT_ACCEPT, user_id=OWNER, view=home)
    form = e2e.wait_for(
        lambda: (v := e2e.standin.last_view(OWNER)) and v.get("callback_id") == ids.VIEW_EDIT_PERSONA and v
    )
    assert_valid_view(form)
    note = next(b for b in form["blocks"] if b.get("block_id") == "edit_note")["element"]["initial_value"]
    assert "5 of 7 said it doesn't match" in note and ATTRIBUTION[:40] in note
    pains = next(b for b in form["blocks"] if b.get("block_id") == "edit_pain_points")["element"]["initial_value"]
    reworded = pains.replace(ATTRIBUTION, "Nobody owns the attribution number")
    reply = e2e.client.view_submission_from(form, {edit_action("pain_points"): reworded}, OWNER)
    assert reply.status == 200 and not reply.body, reply.text

    with e2e.sessions.begin() as s:
        persona = s.get(Persona, mary_id)
        assert persona is not None
        [decision] = s.scalars(select(RevisionDecision).where(RevisionDecision.persona_id == mary_id))
        assert (decision.status, decision.revision_number) == ("accepted", persona.revision_number)
        assert (decision.doesnt, decision.judged) == (5, 7)
        data = load_evidence(s, persona.workspace_id, Period.single(current_quarter(utcnow())), now=utcnow())
        mary = data.persona(mary_id)
        assert mary is not None and mary.disputed == ()
        assert all(st.text != "Nobody owns the attribution number" for st in mary.statements), "no evidence yet"
        old = next(st for st in mary.statements if st.text == ATTRIBUTION)
        assert not old.current and old.counts.doesnt == 5, "the old wording's verdicts stay, as history"

    history = e2e.client.command("history marketing director mary", user_id=OWNER).json()
    assert_valid_blocks(history["blocks"])
    history_text = json.dumps(history["blocks"], ensure_ascii=False)
    assert "Evidence behind it" in history_text and "5 of 7 said the pain point" in history_text
    assert "Reword or remove" not in json.dumps(_owner_home(e2e)["blocks"]), "the draft is done"


def test_a_draft_dismissed_from_the_review_dm_is_recorded_once_and_not_proposed_again(e2e: E2E) -> None:
    e2e.standin.add_user(STANDIN_TEAM, OWNER, "owner")
    e2e.standin.add_user(STANDIN_TEAM, "U0OWNER2", "other owner")
    mary_id = _seed_dispute(e2e, imported_days_ago=200)
    sent = cli(checkin_env(e2e), "reviews", "--send")
    assert sent.returncode == 0, sent.stderr
    dm = e2e.wait_for(
        lambda: next(
            (
                m
                for m in e2e.standin.messages(e2e.standin.dm_channel_id(OWNER))
                if "Time to review Marketing Director Mary" in json.dumps(m.get("blocks"))
            ),
            None,
        )
    )
    assert_valid_blocks(dm["blocks"])
    assert "5 of 7 said it doesn't match" in json.dumps(dm["blocks"], ensure_ascii=False)

    e2e.standin.clear()
    e2e.client.block_action(ids.ACTION_DRAFT_DISMISS, user_id="U0OWNER2", message=dm, channel_id=dm["channel"])
    refused = e2e.wait_for(lambda: e2e.standin.response_posts())
    assert "Only the owner of *Marketing Director Mary*" in json.dumps(refused[0].body)

    e2e.standin.clear()
    e2e.client.block_action(ids.ACTION_DRAFT_DISMISS, user_id=OWNER, message=dm, channel_id=dm["channel"])
    posted = e2e.wait_for(lambda: e2e.standin.response_posts())
    assert "you disagree with the evidence" in json.dumps(posted[0].body)
    e2e.standin.clear()
    e2e.client.block_action(ids.ACTION_DRAFT_DISMISS, user_id=OWNER, message=dm, channel_id=dm["channel"])
    again = e2e.wait_for(lambda: e2e.standin.response_posts())
    assert "no longer open" in json.dumps(again[0].body)
    with e2e.sessions.begin() as s:
        decisions = list(s.scalars(select(RevisionDecision).where(RevisionDecision.persona_id == mary_id)))
        assert [(d.status, d.decided_by, d.revision_number) for d in decisions] == [("dismissed", OWNER, None)]
    assert "Reword or remove" not in json.dumps(_owner_home(e2e)["blocks"])
