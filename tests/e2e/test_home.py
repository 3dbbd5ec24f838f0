"""The App Home tab through the real server: `app_home_opened` → `views.publish`, for a rep, a manager, an owner."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from bot import ids
from bot.blocks.limits import assert_valid_view
from persona_store.models import CheckinRound, Feedback, Participation, Persona, utcnow
from persona_store.quarters import current_quarter
from tests.e2e.conftest import E2E, STANDIN_TEAM

pytestmark = pytest.mark.e2e

MANAGER = "U0DEMO001"  # manager=true in bot/demo/data/roster.csv
REP = "U0DEMO002"
OWNER = "U0OWNER1"  # owns Mary and Rick in bot/demo/data/personas.yaml


def open_home(e2e: E2E, user_id: str, tab: str = "home") -> dict[str, Any]:
    reply = e2e.client.app_home_opened(user_id, tab=tab)
    assert reply.status == 200, reply.text
    view: dict[str, Any] = e2e.wait_for(lambda: e2e.standin.home_view(STANDIN_TEAM, user_id))
    assert_valid_view(view)
    return view


def text_of(view: dict[str, Any]) -> str:
    return json.dumps(view["blocks"], ensure_ascii=False)


def open_round(e2e: E2E, *users: str) -> int:
    workspace_id = e2e.workspace_id()
    with e2e.sessions.begin() as s:
        quarter = current_quarter(utcnow())
        round_ = CheckinRound(workspace_id=workspace_id, quarter=quarter.label, due_date=quarter.end)
        s.add(round_)
        s.flush()
        for user in users:
            s.add(Participation(round_id=round_.id, slack_user_id=user, role="sales", timezone="UTC"))
        s.flush()
        return round_.id


def test_a_rep_sees_their_checkin_with_start_and_how_to_look_personas_up(e2e: E2E) -> None:
    e2e.seed_personas()
    e2e.seed_roster()
    open_round(e2e, REP)
    view = open_home(e2e, REP)
    text = text_of(view)
    assert view["type"] == "home"
    assert "check-in is waiting" in text and "/persona list" in text
    start = next(b["accessory"] for b in view["blocks"] if b.get("block_id") == ids.BLOCK_HOME_CHECKIN)
    assert start["action_id"] == ids.ACTION_HOME_START_CHECKIN
    assert "at a glance" not in text and "Download report" not in text


def test_a_manager_sees_every_persona_verdict_and_download_report(e2e: E2E) -> None:
    count = e2e.seed_personas()
    e2e.seed_roster()
    open_round(e2e, REP, "U0DEMO003")
    text = text_of(open_home(e2e, MANAGER))
    assert "at a glance" in text and "0 % (0 answered of 2: 2 asked − 0 skipped)" in text
    assert f"{count} active personas" in text and "Marketing Director Mary" in text
    assert "Download report" in text


def test_an_owner_sees_their_personas_due_for_review(e2e: E2E) -> None:
    e2e.seed_personas()
    workspace_id = e2e.workspace_id()
    with e2e.sessions.begin() as s:
        s.execute(
            update(Persona)
            .where(Persona.workspace_id == workspace_id, Persona.owner == OWNER)
            # Review due counts a revision as a review: neither for 400 days.
            .values(reviewed_at=utcnow() - timedelta(days=400), revised_at=utcnow() - timedelta(days=400))
        )
    text = text_of(open_home(e2e, OWNER))
    assert "Personas due for your review* (2)" in text
    assert "Marketing Director Mary" in text and "RevOps Rick" in text and "Finance Fiona" not in text


def test_sixty_personas_stay_within_the_home_tab_limit(e2e: E2E) -> None:
    e2e.seed_roster()
    lines = "".join(f"  - {{name: Persona number {n}, role: Role {n}, owner: {MANAGER}}}\n" for n in range(60))
    e2e.seed_personas("personas:\n" + lines)
    view = open_home(e2e, MANAGER)
    assert len(view["blocks"]) <= 100
    assert "…and 50 more" in text_of(view)


def test_the_messages_tab_publishes_nothing(e2e: E2E) -> None:
    e2e.seed_personas()
    reply = e2e.client.app_home_opened(REP, tab="messages")
    assert reply.status == 200
    e2e.client.app_home_opened(MANAGER)  # a later event proves the first one has been handled
    e2e.wait_for(lambda: e2e.standin.home_view(STANDIN_TEAM, MANAGER))
    assert e2e.standin.home_view(STANDIN_TEAM, REP) is None


def home_button(view: dict[str, Any], action_id: str) -> dict[str, Any]:
    for block in view["blocks"]:
        for element in [block.get("accessory") or {}, *block.get("elements", [])]:
            if element.get("action_id") == action_id:
                return element
    raise AssertionError(f"no {action_id} button on the Home tab")


def test_start_on_the_home_tab_opens_the_checkin_modal(e2e: E2E) -> None:
    e2e.seed_personas()
    e2e.seed_roster()
    open_round(e2e, REP)
    home = open_home(e2e, REP)
    start = home_button(home, ids.ACTION_HOME_START_CHECKIN)
    reply = e2e.client.block_action(start["action_id"], start["value"], user_id=REP, view=home, response_url=False)
    assert reply.status == 200
    opened = e2e.wait_for(lambda: [c for c in e2e.standin.calls("views.open") if c.ok])
    assert opened[0].params["view"]["callback_id"] == ids.VIEW_CHECKIN


def test_a_stale_start_redraws_the_home_tab(e2e: E2E) -> None:
    e2e.seed_personas()
    e2e.seed_roster()
    round_id = open_round(e2e, REP)
    home = open_home(e2e, REP)
    start = home_button(home, ids.ACTION_HOME_START_CHECKIN)
    with e2e.sessions.begin() as s:
        s.execute(update(CheckinRound).where(CheckinRound.id == round_id).values(status="closed", closed_at=utcnow()))
    e2e.standin.clear()
    e2e.client.block_action(start["action_id"], start["value"], user_id=REP, view=home, response_url=False)
    view = e2e.wait_for(lambda: e2e.standin.home_view(STANDIN_TEAM, REP))
    assert "No check-in waiting" in text_of(view)
    assert not e2e.standin.calls("views.open")


def test_download_report_on_the_home_tab_sends_the_workbook(e2e: E2E) -> None:
    e2e.seed_personas()
    e2e.seed_roster()
    workspace_id = e2e.workspace_id()
    with e2e.sessions.begin() as s:
        persona = s.scalars(select(Persona).where(Persona.workspace_id == workspace_id)).first()
        assert persona is not None
        s.add(
            Feedback(
                workspace_id=workspace_id,
                persona_id=persona.id,
                revision_number=persona.revision_number,
                submission_key="home-download",
                author_id=REP,
                author_role="sales",
                source="adhoc",
                fit=4,
            )
        )
    home = open_home(e2e, MANAGER)
    download = home_button(home, ids.ACTION_HOME_DOWNLOAD_REPORT)
    click = {"view": home, "response_url": False}
    reply = e2e.client.block_action(download["action_id"], download["value"], user_id=MANAGER, **click)
    assert reply.status == 200
    uploads = e2e.wait_for(lambda: e2e.standin.uploads(), timeout=30)
    assert uploads[0].filename.endswith(".xlsx") and uploads[0].content[:2] == b"PK"
    assert uploads[0].channel_id == e2e.standin.dm_channel_id(MANAGER)
    e2e.client.block_action(download["action_id"], download["value"], user_id=REP, **click)
    e2e.client.app_home_opened(REP)  # a later request, handled after the refused click
    e2e.wait_for(lambda: e2e.standin.home_view(STANDIN_TEAM, REP))
    assert len(e2e.standin.uploads()) == 1, "a rep replaying the manager's button gets nothing"
