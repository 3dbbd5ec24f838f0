"""The Home tab for a rep, a manager and an owner, built from real data and checked against Slack's limits."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from bot import ids
from bot.blocks.home import PERSONAS_SHOWN, build_home
from bot.blocks.limits import assert_valid_view
from bot.config import Settings
from bot.services.home import HomeService
from persona_store.models import CheckinRound, Feedback, Participation, Persona, RosterMember
from persona_store.workspaces import ensure_workspace

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
TEAM = "T0TEST"


def add_persona(s: Session, workspace_id: int, name: str, owner: str | None = None, reviewed_days_ago: int = 10) -> int:
    persona = Persona(
        workspace_id=workspace_id,
        key=name.lower().replace(" ", "-")[:100],
        name=name,
        name_folded=name.lower(),
        owner=owner,
        reviewed_at=NOW - timedelta(days=reviewed_days_ago),
        # Imported (revised) no later than reviewed: review due counts a revision as a review.
        revised_at=NOW - timedelta(days=reviewed_days_ago),
        created_at=NOW - timedelta(days=reviewed_days_ago),
    )
    s.add(persona)
    s.flush()
    return persona.id


def add_feedback(
    s: Session, workspace_id: int, persona_id: int, author: str, role: str, fit: int | None, at: datetime = NOW
) -> None:
    s.add(
        Feedback(
            workspace_id=workspace_id,
            persona_id=persona_id,
            revision_number=1,
            submission_key=f"k{persona_id}-{author}-{fit}-{at.timestamp()}",
            author_id=author,
            author_role=role,
            source="adhoc",
            fit=fit,
            not_met=fit is None,
            created_at=at,
            updated_at=at,
        )
    )


def texts(view: dict[str, Any]) -> str:
    return json.dumps(view["blocks"], ensure_ascii=False)


def service(sessions: sessionmaker[Session], **settings: Any) -> HomeService:
    return HomeService(sessions, Settings().with_overrides(**settings))


def test_a_rep_sees_their_pending_checkin_with_start_their_feedback_and_lookup_help(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as s:
        ws = ensure_workspace(s, TEAM).id
        s.add(RosterMember(workspace_id=ws, slack_user_id="U0REP", name="Rep", role="sales"))
        mary = add_persona(s, ws, "Marketing Director Mary")
        add_feedback(s, ws, mary, "U0REP", "sales", 4)
        add_feedback(s, ws, mary, "U0OTHER", "sales", 1)
        round_ = CheckinRound(workspace_id=ws, quarter="2026-Q4", due_date=date(2026, 12, 1), opened_at=NOW)
        s.add(round_)
        s.flush()
        s.add(Participation(round_id=round_.id, slack_user_id="U0REP", role="sales", timezone="UTC", sent_at=NOW))
        s.flush()
        round_id = round_.id
    view = build_home(service(sessions).build_for(TEAM, "U0REP", NOW))
    assert_valid_view(view)
    text = texts(view)
    assert "Your 2026-Q4 check-in is waiting" in text and "01 Dec 2026" in text
    start = next(b["accessory"] for b in view["blocks"] if b.get("block_id") == ids.BLOCK_HOME_CHECKIN)
    assert start["action_id"] == ids.ACTION_HOME_START_CHECKIN and start["value"] == str(round_id)
    assert "Marketing Director Mary" in text and "fit 4/5" in text and "fit 1/5" not in text
    assert "/persona list" in text
    assert "at a glance" not in text and ids.ACTION_HOME_DOWNLOAD_REPORT not in text, "a rep sees no manager view"


def test_answered_or_skipped_checkins_are_not_pending(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as s:
        ws = ensure_workspace(s, TEAM).id
        round_ = CheckinRound(workspace_id=ws, quarter="2026-Q4", due_date=date(2026, 12, 1), opened_at=NOW)
        s.add(round_)
        s.flush()
        s.add(Participation(round_id=round_.id, slack_user_id="U0A", role="sales", timezone="UTC", answered_at=NOW))
        s.add(Participation(round_id=round_.id, slack_user_id="U0B", role="sales", timezone="UTC", skipped_at=NOW))
    for user in ("U0A", "U0B", "U0NOBODY"):
        home = service(sessions).build_for(TEAM, user, NOW)
        assert home.pending_checkin is None
        assert "No check-in waiting" in texts(build_home(home))


def test_a_manager_sees_fit_role_split_verdict_response_rate_and_download(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as s:
        ws = ensure_workspace(s, TEAM).id
        s.add(RosterMember(workspace_id=ws, slack_user_id="U0BOSS", name="Boss", role="sales", is_manager=True))
        fiona = add_persona(s, ws, "Finance Fiona")
        rick = add_persona(s, ws, "RevOps Rick")
        add_persona(s, ws, "Quiet Quinn")
        for author, role, fit in [("U1", "sales", 5), ("U2", "sales", 4), ("U3", "success", 4), ("U4", "success", 5)]:
            add_feedback(s, ws, fiona, author, role, fit)
        for author, role, fit in [("U1", "sales", 1), ("U2", "sales", 2), ("U3", "onboarding", 2)]:
            add_feedback(s, ws, rick, author, role, fit)
        add_feedback(s, ws, rick, "U5", "sales", 5, at=datetime(2026, 9, 30, tzinfo=UTC))  # last quarter
        round_ = CheckinRound(workspace_id=ws, quarter="2026-Q4", due_date=date(2026, 12, 1), opened_at=NOW)
        s.add(round_)
        s.flush()
        for i, answered in enumerate([True, True, False, False]):
            s.add(
                Participation(
                    round_id=round_.id,
                    slack_user_id=f"U{i}",
                    role="sales",
                    timezone="UTC",
                    answered_at=NOW if answered else None,
                )
            )
    home = service(sessions).build_for(TEAM, "U0BOSS", NOW)
    assert home.is_manager
    view = build_home(home)
    assert_valid_view(view)
    text = texts(view)
    assert "2026-Q4 at a glance" in text
    assert "50 % (2 answered of 4: 4 asked − 0 skipped) · 2 not sent yet" in text
    assert "*Finance Fiona*: 🟢 validated" in text and "Fit 4.5/5 ± 0.7 from 4 people" in text
    assert "Sales 4.5/5 ± 3.2 from 2 people" in text and "Customer success 4.5/5 ± 3.2 from 2 people" in text
    assert "*RevOps Rick*: 🔴 needs review" in text
    assert "Fit 1.7/5 ± 1.0 from 3 people" in text, "last quarter's 5 is out"
    assert "*Quiet Quinn*: ⚪ not enough data" in text
    assert text.index("RevOps Rick") < text.index("Quiet Quinn") < text.index("Finance Fiona"), "worst first"
    download = [e for b in view["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert [(b["action_id"], b["value"]) for b in download] == [(ids.ACTION_HOME_DOWNLOAD_REPORT, "2026-Q4")]


def test_admins_see_the_manager_view_without_being_on_the_roster(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as s:
        ensure_workspace(s, TEAM)
    home = service(sessions, admins=frozenset({"U0ADMIN"})).build_for(TEAM, "U0ADMIN", NOW)
    assert home.is_manager and home.evidence is not None and home.responses is None
    text = texts(build_home(home))
    assert "nobody has been asked this quarter yet" in text and "No active personas yet" in text


def test_sixty_personas_fit_in_the_home_tab_worst_first_with_a_count_of_the_rest(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as s:
        ws = ensure_workspace(s, TEAM).id
        s.add(RosterMember(workspace_id=ws, slack_user_id="U0BOSS", name="Boss", role="sales", is_manager=True))
        for n in range(60):
            pid = add_persona(s, ws, f"Persona {n:02d} " + "x" * 120, owner="U0BOSS", reviewed_days_ago=400)
            for r in range(3):
                add_feedback(s, ws, pid, f"U{r}", "sales", 5 if n % 6 else 1)
    view = build_home(service(sessions).build_for(TEAM, "U0BOSS", NOW))
    assert_valid_view(view)
    assert len(view["blocks"]) <= 60
    text = texts(view)
    glance = text[text.index("at a glance") :]
    assert glance.count("🔴 needs review") == PERSONAS_SHOWN, "the ten that need review are the ones shown"
    assert "…and 50 more" in text and "60 active personas: 🔴 10 need review" in text
    assert "Personas due for your review* (60)" in text and "…and 50 more." in text


def test_an_owner_sees_personas_due_for_review_and_nobody_else_does(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as s:
        ws = ensure_workspace(s, TEAM).id
        add_persona(s, ws, "Old Olga", owner="U0OWNER", reviewed_days_ago=200)
        add_persona(s, ws, "Fresh Fred", owner="U0OWNER", reviewed_days_ago=20)
        add_persona(s, ws, "Someone Else's", owner="U0OTHER", reviewed_days_ago=300)
    home = service(sessions).build_for(TEAM, "U0OWNER", NOW)
    text = texts(build_home(home))
    assert "Personas due for your review* (1)" in text and "Old Olga" in text
    due = text[text.index("due for your review") :]
    assert "Fresh Fred" not in due and "Someone Else" not in text
    assert "Personas you own* (2)" in text and "Fresh Fred" in text, "an owner sees every persona they own"
    shorter = service(sessions, review_after_days=10).build_for(TEAM, "U0OWNER", NOW)
    assert [r.name for r in shorter.due_reviews] == ["Old Olga", "Fresh Fred"]
    assert "due for your review" not in texts(build_home(service(sessions).build_for(TEAM, "U0REP", NOW)))


def test_persona_names_are_escaped(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as s:
        ws = ensure_workspace(s, TEAM).id
        pid = add_persona(s, ws, "<!channel> & <@U0BOSS>", owner="U0REP", reviewed_days_ago=999)
        add_feedback(s, ws, pid, "U0REP", "sales", 3)
    view = build_home(service(sessions, admins=frozenset({"U0REP"})).build_for(TEAM, "U0REP", NOW))
    assert_valid_view(view)
    text = texts(view)
    assert "<!channel>" not in text and "<@U0BOSS>" not in text and "&lt;!channel&gt; &amp;" in text


def test_other_workspaces_data_never_shows(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as s:
        other = ensure_workspace(s, "T0OTHER").id
        pid = add_persona(s, other, "Secret Sam", owner="U0BOSS", reviewed_days_ago=999)
        add_feedback(s, other, pid, "U0BOSS", "sales", 2)
        ensure_workspace(s, TEAM)
    home = service(sessions, admins=frozenset({"U0BOSS"})).build_for(TEAM, "U0BOSS", NOW)
    assert "Secret Sam" not in texts(build_home(home))
    assert home.active_personas == 0 and not home.recent_feedback and not home.due_reviews


def test_roles_that_disagree_make_a_persona_contested(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as s:
        ws = ensure_workspace(s, TEAM).id
        pid = add_persona(s, ws, "Split Sally")
        for author, role, fit in [("U1", "sales", 5), ("U2", "sales", 5), ("U3", "success", 2), ("U4", "success", 2)]:
            add_feedback(s, ws, pid, author, role, fit)
    text = texts(build_home(service(sessions, admins=frozenset({"U0BOSS"})).build_for(TEAM, "U0BOSS", NOW)))
    assert "*Split Sally*: 🟠 contested" in text
    assert "Sales 5.0/5 ± 0.0 from 2 people · Customer success 2.0/5 ± 0.0 from 2 people" in text
