"""The roster in the database: upsert by Slack user id, deactivation, idempotent re-imports, managers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

from persona_store.models import Workspace
from persona_store.roster import (
    ProfileFacts,
    RosterSummary,
    get_member,
    import_roster,
    is_manager,
    list_roster,
    record_slack_profiles,
)
from persona_store.roster_file import RosterEntry, parse_roster_csv

DEMO = Path(__file__).resolve().parents[2] / "bot" / "demo" / "data" / "roster.csv"
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
T1 = T0 + timedelta(days=1)

ALEX = RosterEntry("U0ALEX", "Alex Rivera", "sales", True, "America/New_York")
JONAS = RosterEntry("U0JONAS", "Jonas Weber", "sales", False, "Europe/Berlin")
YUKI = RosterEntry("U0YUKI", "Yuki Tanaka", "success", False, None)


def test_the_demo_roster_imports_and_reimports_idempotently(sessions: sessionmaker[Session], workspace_id: int) -> None:
    entries = parse_roster_csv(DEMO)
    with sessions.begin() as s:
        assert import_roster(s, workspace_id, entries, now=T0) == RosterSummary(added=6)
    with sessions.begin() as s:
        assert import_roster(s, workspace_id, entries, now=T1) == RosterSummary(unchanged=6)
    with sessions() as s:
        members = list_roster(s, workspace_id)
        assert len(members) == 6
        assert all(m.updated_at == T0 for m in members)
        assert [m.name for m in members] == sorted(m.name for m in members)
        assert {m.slack_user_id for m in members if m.is_manager} == {"U0DEMO001", "U0DEMO005"}


def test_changes_update_members_in_place(sessions: sessionmaker[Session], workspace_id: int) -> None:
    with sessions.begin() as s:
        import_roster(s, workspace_id, [ALEX, JONAS], now=T0)
        before = get_member(s, workspace_id, "U0JONAS")
        assert before is not None
        original_id = before.id
    moved = RosterEntry("U0JONAS", "Jonas Weber", "success", True, "Europe/Lisbon")
    with sessions.begin() as s:
        assert import_roster(s, workspace_id, [ALEX, moved], now=T1) == RosterSummary(updated=1, unchanged=1)
    with sessions() as s:
        jonas = get_member(s, workspace_id, "U0JONAS")
        assert jonas is not None
        assert jonas.id == original_id
        assert (jonas.role, jonas.is_manager, jonas.timezone, jonas.updated_at) == (
            "success",
            True,
            "Europe/Lisbon",
            T1,
        )
        assert jonas.created_at == T0


def test_an_import_merges_a_one_line_file_leaves_everyone_else_alone(
    sessions: sessionmaker[Session], workspace_id: int
) -> None:
    with sessions.begin() as s:
        import_roster(s, workspace_id, [ALEX, JONAS, YUKI], now=T0)
    with sessions.begin() as s:
        newcomer = RosterEntry("U0NEW", "New Rep", "success", False, None)
        assert import_roster(s, workspace_id, [newcomer], now=T1) == RosterSummary(added=1)
    with sessions() as s:
        assert len(list_roster(s, workspace_id)) == 4


def test_with_replace_members_missing_from_the_file_are_deactivated_not_deleted(
    sessions: sessionmaker[Session], workspace_id: int
) -> None:
    with sessions.begin() as s:
        import_roster(s, workspace_id, [ALEX, JONAS, YUKI], now=T0)
    with sessions.begin() as s:
        summary = import_roster(s, workspace_id, [ALEX], now=T1, replace=True)
        assert summary == RosterSummary(unchanged=1, deactivated=2)
    with sessions.begin() as s:
        # already inactive: not counted again
        assert import_roster(s, workspace_id, [ALEX], now=T1, replace=True) == RosterSummary(unchanged=1)
    with sessions() as s:
        assert [m.slack_user_id for m in list_roster(s, workspace_id)] == ["U0ALEX"]
        everyone = list_roster(s, workspace_id, include_inactive=True)
        assert {m.slack_user_id: m.active for m in everyone} == {"U0ALEX": True, "U0JONAS": False, "U0YUKI": False}
        inactive = get_member(s, workspace_id, "U0YUKI")
        assert inactive is not None
        assert not inactive.active


def test_a_member_listed_again_is_reactivated(sessions: sessionmaker[Session], workspace_id: int) -> None:
    with sessions.begin() as s:
        import_roster(s, workspace_id, [ALEX, JONAS], now=T0)
        import_roster(s, workspace_id, [ALEX], now=T0, replace=True)
    with sessions.begin() as s:
        assert import_roster(s, workspace_id, [ALEX, JONAS], now=T1) == RosterSummary(updated=1, unchanged=1)
    with sessions() as s:
        assert len(list_roster(s, workspace_id)) == 2


def test_an_empty_timezone_in_the_file_clears_the_stored_one(
    sessions: sessionmaker[Session], workspace_id: int
) -> None:
    with sessions.begin() as s:
        import_roster(s, workspace_id, [JONAS], now=T0)
    with sessions.begin() as s:
        no_zone = RosterEntry(JONAS.slack_user_id, JONAS.name, JONAS.role, JONAS.is_manager, None)
        assert import_roster(s, workspace_id, [no_zone], now=T1) == RosterSummary(updated=1)
    with sessions() as s:
        jonas = get_member(s, workspace_id, "U0JONAS")
        assert jonas is not None
        assert jonas.timezone is None


def test_is_manager(sessions: sessionmaker[Session], workspace_id: int) -> None:
    with sessions.begin() as s:
        import_roster(s, workspace_id, [ALEX, JONAS], now=T0)
        assert is_manager(s, workspace_id, "U0ALEX")
        assert not is_manager(s, workspace_id, "U0JONAS")
        assert not is_manager(s, workspace_id, "U0NOBODY")
        import_roster(s, workspace_id, [JONAS], now=T1, replace=True)
        assert not is_manager(s, workspace_id, "U0ALEX")  # an inactive manager manages nothing


def test_the_roster_is_scoped_by_workspace(sessions: sessionmaker[Session], workspace_id: int) -> None:
    with sessions.begin() as s:
        other = Workspace(team_id="T0OTHER")
        s.add(other)
        s.flush()
        import_roster(s, workspace_id, [ALEX], now=T0)
        import_roster(s, other.id, [ALEX, JONAS], now=T0)
        # importing into one workspace never deactivates another's members
        assert import_roster(s, workspace_id, [YUKI], now=T1, replace=True) == RosterSummary(added=1, deactivated=1)
        assert [m.slack_user_id for m in list_roster(s, other.id)] == ["U0ALEX", "U0JONAS"]
        assert get_member(s, workspace_id, "U0JONAS") is None
        assert is_manager(s, other.id, "U0ALEX")
        assert not is_manager(s, workspace_id, "U0ALEX")


def test_duplicate_entries_are_refused(sessions: sessionmaker[Session], workspace_id: int) -> None:
    with sessions() as s, pytest.raises(ValueError, match="U0ALEX appears twice"):
        import_roster(s, workspace_id, [ALEX, ALEX])


def test_slack_profiles_are_recorded_for_roster_members_in_one_read(
    sessions: sessionmaker[Session], workspace_id: int
) -> None:
    """The clock records a batch of profiles every tick in every workspace: one read for them all, not one each.
    Each member gets what Slack said; people not on this workspace's roster are left alone."""
    with sessions.begin() as s:
        other = Workspace(team_id="T0OTHER")
        s.add(other)
        s.flush()
        other_id = other.id
        nameless = RosterEntry("U0NONAME", "U0NONAME", "success", False, None)
        import_roster(s, workspace_id, [ALEX, JONAS, YUKI, nameless], now=T0)
        import_roster(s, other_id, [YUKI], now=T0)
    profiles = [
        ProfileFacts("U0ALEX", deleted=True, timezone="Asia/Tokyo"),  # keeps the zone the roster gave
        ProfileFacts("U0YUKI", deleted=False, timezone="Asia/Tokyo", name="Yuki T."),  # zone filled, name kept
        ProfileFacts("U0NONAME", deleted=False, name="Noor Ahmed"),  # known only by id until now
        ProfileFacts("U0STRANGER", deleted=True),  # not on the roster
    ]
    selects: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_rest: object) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            selects.append(statement)

    engine = sessions.kw["bind"]
    event.listen(engine, "before_cursor_execute", record)
    try:
        with sessions.begin() as s:
            record_slack_profiles(s, workspace_id, profiles, now=T1)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert len(selects) == 1, "\n".join(selects)
    with sessions() as s:
        by_id = {m.slack_user_id: m for m in list_roster(s, workspace_id, include_inactive=True)}
        assert set(by_id) == {"U0ALEX", "U0JONAS", "U0YUKI", "U0NONAME"}
        alex, jonas, yuki, noor = by_id["U0ALEX"], by_id["U0JONAS"], by_id["U0YUKI"], by_id["U0NONAME"]
        assert _utc(alex.slack_deactivated_at) == T1 and alex.timezone == "America/New_York"
        assert yuki.slack_deactivated_at is None and yuki.timezone == "Asia/Tokyo" and yuki.name == "Yuki Tanaka"
        assert noor.name == "Noor Ahmed"
        assert jonas.slack_checked_at is None, "someone not in the batch is not marked as read"
        assert all(_utc(m.slack_checked_at) == T1 for m in (alex, yuki, noor))
        (theirs,) = list_roster(s, other_id)
        assert theirs.slack_checked_at is None and theirs.timezone is None, "another workspace's Yuki is untouched"


def _utc(moment: datetime | None) -> datetime | None:
    """SQLite hands stored times back without their zone (they are stored in UTC)."""
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment
