"""Workspace settings: environment defaults, stored overrides, validation, the change log; the round logic reads
them (open hour, quiet days, cap, summary target, cadence); the modals and the Home section fit Slack's limits."""

from __future__ import annotations

import dataclasses
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot import ids
from bot.blocks.limits import assert_valid_blocks, assert_valid_view
from bot.blocks.roster import build_roster_done, build_roster_home, build_roster_modal, parse_roster_submission
from bot.blocks.settings import action_id, block_id, build_settings_modal, parse_settings_submission
from bot.config import Settings, SettingsError
from bot.services import Services
from bot.services.checkins import CheckinService
from bot.services.feedback import FeedbackService
from bot.services.home import HomeService
from bot.services.reviews import ReviewService
from bot.services.roster import LinkInfo
from bot.services.settings import SettingsService
from persona_store.files import parse_persona_file
from persona_store.personas import import_personas
from persona_store.roster import RosterHealth, RosterSummary
from persona_store.schedule import RoundPlan, period_label, period_start
from persona_store.workspace_settings import SettingsInvalid, WorkspaceSettings, validate
from persona_store.workspaces import ensure_workspace
from slack_standin.client import state_values

TEAM = "T0TEST"


def test_environment_values_are_the_defaults() -> None:
    env = {
        "CHECKIN_OPEN_HOUR": "8",
        "CHECKIN_CADENCE": "every 2 weeks",
        "CHECKIN_QUIET_DAYS": "2026-12-25, 2026-12-24",
        "REPORT_CHANNEL": "C0REPORTS",
        "MIN_GROUP_SIZE": "5",
    }
    defaults = Settings.from_env(env).workspace_defaults()
    assert (defaults.open_hour, defaults.cadence, defaults.cadence_every) == (8, "weeks", 2)
    assert defaults.quiet_days == (date(2026, 12, 24), date(2026, 12, 25))
    assert (defaults.summary_channel, defaults.min_group_size) == ("C0REPORTS", 5)
    with pytest.raises(SettingsError, match="CHECKIN_CADENCE must be quarterly"):
        Settings.from_env({"CHECKIN_CADENCE": "fortnightly"})
    with pytest.raises(SettingsError, match="CHECKIN_QUIET_DAYS must be dates"):
        Settings.from_env({"CHECKIN_QUIET_DAYS": "Christmas"})


def test_saving_stores_overrides_and_records_who_changed_what(sessions: sessionmaker[Session]) -> None:
    service = SettingsService(sessions, Settings.from_env({}), clock=lambda: datetime(2026, 11, 2, tzinfo=UTC))
    assert service.current(TEAM) == WorkspaceSettings()
    wanted = dataclasses.replace(service.current(TEAM), open_hour=9, quiet_days=(date(2026, 12, 24),))
    changes = service.save(TEAM, "U0ADMIN", wanted)
    assert [(c.field, c.before, c.after, c.changed_by) for c in changes] == [
        ("open_hour", "10", "9", "U0ADMIN"),
        ("quiet_days", "none", "2026-12-24", "U0ADMIN"),
    ]
    assert service.current(TEAM).open_hour == 9
    assert service.save(TEAM, "U0ADMIN", wanted) == [], "saving the same again records nothing"
    assert [c.field for c in service.history(TEAM)] == ["quiet_days", "open_hour"], "newest first"
    with pytest.raises(SettingsInvalid) as caught:
        service.save(TEAM, "U0ADMIN", dataclasses.replace(wanted, reminder_days=(3, 20)))
    assert "reminder_days" in caught.value.problems
    # A server default changed later still applies to fields the workspace never set.
    later = SettingsService(sessions, Settings.from_env({"CHECKIN_CLOSE_DAY": "10"}))
    assert (later.current(TEAM).open_hour, later.current(TEAM).close_day) == (9, 10)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"open_hour": 24}, "open_hour"),
        ({"close_day": 0}, "close_day"),
        ({"reminder_days": (3, 3)}, "reminder_days"),
        ({"max_reminders": 11}, "max_reminders"),
        ({"cadence": "weeks", "cadence_every": 0}, "cadence_every"),
        ({"summary_channel": "not-a-channel"}, "summary_channel"),
        ({"min_group_size": 0}, "min_group_size"),
        ({"review_after_days": 0}, "review_after_days"),
    ],
)
def test_validation_names_the_field(change: dict[str, object], field: str) -> None:
    assert field in validate(dataclasses.replace(WorkspaceSettings(), **change))  # type: ignore[arg-type]


def test_quiet_days_move_invites_and_reminders_to_the_next_working_day() -> None:
    # Q4 2026: day 1 is Thursday 1 October; reminders on days 3 (Sat -> Mon 5) and 7 (Wed 7).
    plan = RoundPlan.for_quarter("2026-Q4")
    quiet = dataclasses.replace(plan, quiet_days=frozenset({date(2026, 10, 1), date(2026, 10, 5)}))
    assert quiet.invite_at("UTC") == datetime(2026, 10, 2, 10, tzinfo=UTC)
    assert quiet.reminder_at(1, "UTC") == datetime(2026, 10, 6, 10, tzinfo=UTC)
    assert quiet.reminder_at(2, "UTC") == plan.reminder_at(2, "UTC")


def test_cadence_periods_and_their_labels() -> None:
    assert period_start(date(2026, 11, 20), "quarterly") == date(2026, 10, 1)
    assert period_start(date(2026, 11, 20), "months", 1) == date(2026, 11, 1)
    assert [period_start(date(2026, m, 15), "months", 6) for m in (3, 9)] == [date(2026, 1, 1), date(2026, 7, 1)]
    fortnight = period_start(date(2026, 11, 20), "weeks", 2)
    assert fortnight.weekday() == 0 and (date(2026, 11, 20) - fortnight).days < 14
    assert period_start(fortnight + timedelta(days=13), "weeks", 2) == fortnight
    assert period_label(date(2026, 10, 1), "months", 1) == "2026-Q4"
    assert period_label(date(2026, 11, 1), "months", 1) == "2026-Q4.02"
    assert period_label(date(2026, 12, 1), "months", 1) == "2026-Q4.03"
    weekly = [period_label(date(2026, 10, 5) + timedelta(weeks=w), "weeks", 1) for w in range(12)]
    assert weekly[0] == "2026-Q4" and weekly[9] == "2026-Q4.10" and weekly == sorted(weekly), "labels sort by time"


def test_a_tighter_cadence_opens_a_round_per_period(sessions: sessionmaker[Session]) -> None:
    env = Settings.from_env({})
    with sessions.begin() as s:
        workspace_id = ensure_workspace(s, TEAM).id
        import_personas(s, workspace_id, parse_persona_file("personas:\n  - name: Mary\n"), author="test")
    monthly = dataclasses.replace(WorkspaceSettings(), cadence="months", cadence_every=1, close_day=10)
    SettingsService(sessions, env).save(TEAM, "U0ADMIN", monthly)
    opened = []
    for day in (date(2026, 10, 2), date(2026, 11, 3), date(2026, 11, 4), date(2026, 12, 2)):
        service = CheckinService(sessions, env, clock=lambda d=day: datetime(d.year, d.month, d.day, 12, tzinfo=UTC))
        found = service.scheduled_round(TEAM)
        assert found is not None
        opened.append((found.quarter, found.due_date))
        service.close(TEAM, found.id)
    assert opened == [
        ("2026-Q4", date(2026, 10, 10)),
        ("2026-Q4.02", date(2026, 11, 11)),
        ("2026-Q4.02", date(2026, 11, 11)),
        ("2026-Q4.03", date(2026, 12, 10)),
    ]
    weekly = dataclasses.replace(WorkspaceSettings(), cadence="weeks", cadence_every=1, close_day=10)
    with pytest.raises(SettingsInvalid, match="fit in one period"):
        SettingsService(sessions, env).save(TEAM, "U0ADMIN", weekly)


def test_the_round_reads_the_workspace_settings_on_every_call(sessions: sessionmaker[Session]) -> None:
    settings = Settings.from_env({})
    service = CheckinService(sessions, settings)
    saver = SettingsService(sessions, settings)
    assert service.quarter_plan("2026-Q4").open_hour == 10
    saver.save(
        TEAM, "U0ADMIN", dataclasses.replace(WorkspaceSettings(), max_reminders=1, cadence="months", cadence_every=6)
    )
    assert service.reminder_cap(TEAM) == 1
    service_clock = CheckinService(sessions, settings, clock=lambda: datetime(2026, 4, 1, 12, tzinfo=UTC))
    assert service_clock.scheduled_round(TEAM) is None, "every 6 months: no round in Q2"


def _health(**kw: object) -> RosterHealth:
    base: dict[str, object] = dict(
        active=0, asked=0, managers=0, observers=0, inactive=0, links=0,
        deactivated_in_slack=(), no_timezone=(), no_role=(), link_errors=(),
    )  # fmt: skip
    base.update(kw)
    return RosterHealth(**base)  # type: ignore[arg-type]


def test_the_roster_modal_and_home_section_fit_slack() -> None:
    many = tuple(f"U{i:05d}" for i in range(300))
    health = _health(active=300, asked=280, managers=5, observers=3, deactivated_in_slack=many, no_timezone=many)
    links = [LinkInfo(1, "usergroup", "S0SALES", "sales", None, "Slack has no user group S0SALES")]
    view = build_roster_modal(health, links)
    assert_valid_view(view)
    assert "<!subteam^S0SALES>" in str(view["blocks"][0])
    blocks = [b.to_dict() for b in build_roster_home(health)]
    assert_valid_blocks(blocks, surface="home")
    assert len(blocks) <= 5 and "and 290 more" in str(blocks)
    assert_valid_view(build_roster_done(RosterSummary(added=2), False, links))


def test_the_roster_form_parser_checks_shape() -> None:
    view = build_roster_modal(_health(), [])
    form = parse_roster_submission(
        {**view, "state": {"values": state_values(view, {ids.ROSTER_ACTION_GROUP: "<!subteam^S0ABC|@sales>"})}}
    )
    assert form.group == "S0ABC" and form.group_is_id and ids.ROSTER_BLOCK_ROLE in form.errors
    form = parse_roster_submission(
        {**view, "state": {"values": state_values(view, {ids.ROSTER_ACTION_PEOPLE: ["U0A", "<script>"]})}}
    )
    assert form.people == ("U0A",) and not form.errors


def test_the_settings_modal_round_trips() -> None:
    current = WorkspaceSettings(quiet_days=(date(2026, 12, 24),), summary_channel="C0SUM", anonymous=True)
    view = build_settings_modal(current)
    assert_valid_view(view)
    form = parse_settings_submission({**view, "state": {"values": state_values(view, {})}}, current)
    assert form.errors == {} and form.settings == current
    typed = state_values(view, {action_id("open_hour"): "7", action_id("summary_to"): "managers"})
    form = parse_settings_submission({**view, "state": {"values": typed}}, current)
    assert (form.settings.open_hour, form.settings.summary_channel) == (7, None)
    bad = state_values(view, {action_id("close_day"): "soon"})
    assert parse_settings_submission({**view, "state": {"values": bad}}, current).errors == {
        block_id("close_day"): "A whole number, please."
    }


def test_services_carry_the_new_services(sessions: sessionmaker[Session]) -> None:
    with ThreadPoolExecutor(1) as pool:
        services = Services.build(Settings.from_env({"PERSONA_BOT_ADMINS": "U0ADMIN"}), sessions, pool)
        assert services.roster.may_manage(TEAM, "U0ADMIN") and not services.roster.may_manage(TEAM, "U0REP")
        assert services.workspace_settings.may_change(TEAM, "U0ADMIN")


def test_anonymity_and_the_review_interval_are_the_workspaces_own(sessions: sessionmaker[Session]) -> None:
    env = Settings.from_env({})
    now = datetime(2026, 11, 2, 12, tzinfo=UTC)
    with sessions.begin() as s:
        workspace_id = ensure_workspace(s, TEAM).id
        yaml_text = "personas:\n  - name: Mary\n    owner: U0OWNER\n"
        import_personas(s, workspace_id, parse_persona_file(yaml_text), author="test", now=now - timedelta(days=10))
    feedback, reviews = FeedbackService(sessions, env), ReviewService(sessions, env)
    before = feedback.form(TEAM, "U0REP")
    assert before is not None and not before.anonymous and reviews.due_reviews(TEAM, now) == []
    strict = dataclasses.replace(WorkspaceSettings(), anonymous=True, review_after_days=7)
    SettingsService(sessions, env).save(TEAM, "U0ADMIN", strict)
    form = feedback.form(TEAM, "U0REP")
    assert form is not None and form.anonymous, "the form tells people their ratings are anonymous"
    assert [r.name for r in reviews.due_reviews(TEAM, now)] == ["Mary"]
    assert [o.name for o in reviews.overdue(TEAM, now)] == ["Mary"]
    assert reviews.interval(TEAM) == 7
    home = HomeService(sessions, env).build_for(TEAM, "U0OWNER", now)
    assert [r.name for r in home.due_reviews] == ["Mary"], "the owner's Home agrees"


def test_the_settings_modal_carries_outcomes_on_the_card() -> None:
    current = WorkspaceSettings(outcomes_on_card=True)
    view = build_settings_modal(current)
    assert_valid_view(view)
    form = parse_settings_submission({**view, "state": {"values": state_values(view, {})}}, current)
    assert form.errors == {} and form.settings.outcomes_on_card
    off = state_values(view, {action_id("outcomes_on_card"): []})
    assert not parse_settings_submission({**view, "state": {"values": off}}, current).settings.outcomes_on_card
