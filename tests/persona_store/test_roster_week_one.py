"""The roster's week-one rules: merging, who is asked in check-ins, withdrawing the unasked, linked groups, health;
and the roster file (optional columns, `;`, role aliases)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from persona_store.checkins import Assignment, active_member_ids, assign, open_round, unassigned_members
from persona_store.files import FileError
from persona_store.models import Participation
from persona_store.roster import (
    RosterChange,
    add_link,
    apply_changes,
    get_member,
    roster_health,
    withdraw_unasked,
)
from persona_store.roster_file import parse_role, parse_roster_file

T0 = datetime(2026, 10, 1, 9, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "role"),
    [
        ("Customer Success", "success"),
        ("customer-success", "success"),
        ("CSM", "success"),
        ("cs", "success"),
        ("AE", "sales"),
        ("Account Executive", "sales"),
        ("SDR", "sales"),
        ("BDR", "sales"),
        ("Onboarding", "onboarding"),
        ("Implementation", "onboarding"),
        ("MARKETING", "marketing"),
        ("Product Marketing", "marketing"),
        ("Wizard", None),
    ],
)
def test_role_aliases_in_one_table(text: str, role: str | None) -> None:
    assert parse_role(text) == role


def test_a_roster_file_with_semicolons_and_only_emails() -> None:
    rows = parse_roster_file("email;Role\nann@example.com;Customer Success\n\nben@example.com;\n")
    assert [(r.email, r.role, r.slack_user_id) for r in rows] == [
        ("ann@example.com", "success", None),
        ("ben@example.com", None, None),
    ]
    assert [r.line for r in rows] == [2, 4]


def test_every_problem_in_a_roster_file_at_once() -> None:
    with pytest.raises(FileError) as caught:
        parse_roster_file(
            "slack_user_id,role,observer,timezone\nU0A,Wizard,,\nU0B,sales,perhaps,\nU0C,,,Mars/Base\nU0A,,,\n"
        )
    assert caught.value.problems == [
        "line 2: role 'Wizard' is not one of sales, success, onboarding, marketing "
        "(aliases such as Customer Success, CSM, AE, SDR or Implementation work too)",
        "line 3: observer 'perhaps' must be true or false",
        "line 4: timezone 'Mars/Base' is not an IANA time zone like Europe/Berlin "
        "(or leave it empty: Slack's profile, else the default)",
    ]
    with pytest.raises(FileError, match="line 3: U0A is already on line 2"):
        parse_roster_file("slack_user_id\nU0A\nU0A\n")


def test_merging_keeps_what_a_change_leaves_out(sessions: sessionmaker[Session], workspace_id: int) -> None:
    with sessions.begin() as s:
        apply_changes(s, workspace_id, [RosterChange("U0A", "Ann", "sales", False, False, "Europe/Berlin")], T0)
        summary = apply_changes(s, workspace_id, [RosterChange("U0A", is_observer=True)], T0)
        assert (summary.updated, summary.diffs[0].fields) == (1, (("is_observer", False, True),))
        ann = get_member(s, workspace_id, "U0A")
        assert ann is not None
        assert (ann.name, ann.role, ann.timezone, ann.is_observer) == ("Ann", "sales", "Europe/Berlin", True)
        apply_changes(s, workspace_id, [RosterChange("U0A", timezone="")], T0)
        assert ann.timezone is None, "an empty zone clears it (Slack's, else the default)"
        newcomer = apply_changes(s, workspace_id, [RosterChange("U0NEW")], T0)
        assert newcomer.added == 1
        member = get_member(s, workspace_id, "U0NEW")
        assert member is not None and (member.name, member.role) == ("U0NEW", "")


def test_only_reps_who_meet_customers_are_asked(sessions: sessionmaker[Session], workspace_id: int) -> None:
    people = [
        RosterChange("U0REP", "Rep", "sales"),
        RosterChange("U0CS", "Cs", "success"),
        RosterChange("U0MGR", "Mgr", "sales", is_manager=True),
        RosterChange("U0OBS", "Obs", "onboarding", is_observer=True),
        RosterChange("U0MKT", "Mkt", "marketing"),
        RosterChange("U0NONE", "None"),
    ]
    with sessions.begin() as s:
        apply_changes(s, workspace_id, people, T0)
        r, _ = open_round(s, workspace_id, "2026-Q4", date(2026, 10, 14), T0)
        assert {m.slack_user_id for m in unassigned_members(s, workspace_id, r.id)} == {"U0REP", "U0CS"}
        assert active_member_ids(s, workspace_id) == {"U0REP", "U0CS"}
        health = roster_health(s, workspace_id)
        assert (health.active, health.asked, health.managers, health.observers) == (6, 2, 1, 1)
        assert health.no_role == ("U0NONE",)


def test_someone_made_an_observer_mid_round_is_withdrawn_unless_they_answered(
    sessions: sessionmaker[Session], workspace_id: int
) -> None:
    with sessions.begin() as s:
        apply_changes(s, workspace_id, [RosterChange(u, u, "sales") for u in ("U0A", "U0B", "U0C")], T0)
        r, _ = open_round(s, workspace_id, "2026-Q4", date(2026, 10, 14), T0)
        assign(s, r.id, [Assignment(u, "sales", "UTC") for u in ("U0A", "U0B", "U0C")], T0)
        answered = s.scalar(select(Participation).where(Participation.slack_user_id == "U0B"))
        assert answered is not None
        answered.answered_at = T0
        s.flush()
        changes = [RosterChange("U0A", is_observer=True), RosterChange("U0B", is_manager=True)]
        apply_changes(s, workspace_id, changes, T0)
        left = {p.slack_user_id for p in s.scalars(select(Participation).where(Participation.round_id == r.id))}
        assert left == {"U0B", "U0C"}, "the observer is off the round; the manager's answer stays"
        assert withdraw_unasked(s, workspace_id, r.id) == 0


def test_replace_link_deactivates_only_that_links_people(sessions: sessionmaker[Session], workspace_id: int) -> None:
    with sessions.begin() as s:
        link = add_link(s, workspace_id, "usergroup", "S0SALES", "sales", "U0ADMIN")
        apply_changes(s, workspace_id, [RosterChange("U0HAND", "Hand", "sales")], T0)
        apply_changes(s, workspace_id, [RosterChange(u, u, "sales", link_id=link.id) for u in ("U0A", "U0B")], T0)
        summary = apply_changes(s, workspace_id, [RosterChange("U0B")], T0, replace_link=link.id)
        assert summary.deactivated == 1
        active = {u: get_member(s, workspace_id, u).active for u in ("U0HAND", "U0A", "U0B")}  # type: ignore[union-attr]
        assert active == {"U0HAND": True, "U0A": False, "U0B": True}
        assert add_link(s, workspace_id, "usergroup", "S0SALES", "success", "U0ADMIN").id == link.id
