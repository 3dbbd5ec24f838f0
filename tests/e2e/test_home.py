"""The App Home tab through the real server: `app_home_opened` → `views.publish`, for a rep, a manager, an owner."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import update

from bot import ids
from bot.blocks.limits import assert_valid_view
from persona_store.models import CheckinRound, Participation, Persona, utcnow
from tests.e2e.conftest import E2E, STANDIN_TEAM

pytestmark = pytest.mark.e2e

MANAGER = "U0DEMO001"  # manager=true in bot/demo_data/roster.csv
REP = "U0DEMO002"
OWNER = "U0OWNER1"  # owns Mary and Rick in bot/demo_data/personas.yaml


def open_home(e2e: E2E, user_id: str, tab: str = "home") -> dict[str, Any]:
    reply = e2e.client.app_home_opened(user_id, tab=tab)
    assert reply.status == 200, reply.text
    view: dict[str, Any] = e2e.wait_for(lambda: e2e.standin.home_view(STANDIN_TEAM, user_id))
    assert_valid_view(view)
    return view


def text_of(view: dict[str, Any]) -> str:
    return json.dumps(view["blocks"], ensure_ascii=False)


def open_round(e2e: E2E, *users: str) -> int:
    with e2e.sessions.begin() as s:
        round_ = CheckinRound(workspace_id=e2e.workspace_id(), quarter="2026-Q4", due_date=date(2026, 12, 15))
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
    assert "at a glance" in text and "0 of 2 answered (0%)" in text
    assert f"{count} active personas" in text and "Marketing Director Mary" in text
    assert "Download report" in text


def test_an_owner_sees_their_personas_due_for_review(e2e: E2E) -> None:
    e2e.seed_personas()
    with e2e.sessions.begin() as s:
        s.execute(
            update(Persona)
            .where(Persona.workspace_id == e2e.workspace_id(), Persona.owner == OWNER)
            .values(reviewed_at=utcnow() - timedelta(days=400))
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
