"""The clock's review step with fixed clocks against the Slack stand-in: who is asked, when, and only once."""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from bot import ids
from bot.blocks.limits import assert_valid_blocks
from bot.cli.root import CLOCK_STEPS
from bot.clock.context import ClockContext
from bot.clock.reviews import reconcile_reviews, run_due_reviews
from bot.config import Settings
from bot.services import Services
from bot.services.outbox import OutboxService
from bot.services.reviews import ReviewStatus
from bot.slack.clients import SlackClients
from persona_store.models import Effect
from persona_store.persona_spec import PersonaSpec
from persona_store.personas import apply_persona, get_persona
from persona_store.reviews import overdue_reviews
from slack_standin import SlackStandin

TEAM = "T0TEST"
TOKEN = "xoxb-review-test"
CREATED = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
DUE = CREATED + timedelta(days=182)


@pytest.fixture
def standin() -> Iterator[SlackStandin]:
    with SlackStandin(team_id=TEAM, bot_token=TOKEN) as server:
        server.add_user(TEAM, "U0OWNER", "Olive Owner")
        yield server


@pytest.fixture
def services(sessions: sessionmaker[Session], standin: SlackStandin) -> Iterator[Services]:
    settings = Settings(
        slack_api_url=standin.api_url, slack_bot_token=TOKEN, slack_team_id=TEAM, admins=frozenset({"U0ADMIN"})
    )
    with ThreadPoolExecutor(max_workers=1) as pool:
        yield Services.build(settings, sessions, pool)


@pytest.fixture
def mary(services: Services, workspace_id: int) -> int:
    spec = PersonaSpec(name="Marketing Director Mary", key="mary", goals=("Grow",), owner="U0OWNER")
    with services.sessions.begin() as s:
        return apply_persona(s, workspace_id, spec, author="import", now=CREATED).persona.id


def review_dms(standin: SlackStandin) -> list[dict[str, object]]:
    return [m for m in standin.messages() if "Time to review" in json.dumps(m.get("blocks"))]


def test_nobody_is_asked_before_review_after_days(services: Services, standin: SlackStandin, mary: int) -> None:
    clients = SlackClients(services.settings)
    assert run_due_reviews(services, clients, DUE - timedelta(minutes=1)).sent == 0
    assert review_dms(standin) == []


def test_the_owner_is_asked_exactly_once_per_cycle(services: Services, standin: SlackStandin, mary: int) -> None:
    clients = SlackClients(services.settings)
    assert run_due_reviews(services, clients, DUE).sent == 1
    # Every later tick, and a second clock, find the claim and send nothing.
    for later in (DUE, DUE + timedelta(minutes=5), DUE + timedelta(days=40)):
        assert run_due_reviews(services, SlackClients(services.settings), later).sent == 0
    (dm,) = review_dms(standin)
    assert dm["channel"] == standin.dm_channel_id("U0OWNER")
    assert_valid_blocks(dm["blocks"])  # type: ignore[arg-type]
    buttons = [e for b in dm["blocks"] if b["type"] == "actions" for e in b["elements"]]  # type: ignore[attr-defined,index]
    assert [b["action_id"] for b in buttons] == [
        ids.ACTION_REVIEW_ACCURATE,
        ids.ACTION_REVIEW_EDIT,
        ids.ACTION_REVIEW_RETIRE,
    ]


def test_still_accurate_starts_the_next_cycle(services: Services, standin: SlackStandin, mary: int) -> None:
    clients = SlackClients(services.settings)
    run_due_reviews(services, clients, DUE)
    (request_cycle,) = {int(str(dm["blocks"][-1]["elements"][0]["value"]).split(":")[1]) for dm in review_dms(standin)}  # type: ignore[index]
    answered = DUE + timedelta(days=2)
    answer = services.reviews.record_outcome(TEAM, "U0OWNER", mary, request_cycle, "accurate", now=answered)
    assert answer.status is ReviewStatus.RECORDED
    again = services.reviews.record_outcome(TEAM, "U0OWNER", mary, request_cycle, "accurate", now=answered)
    assert again.status is ReviewStatus.ALREADY and again.reviewer == "U0OWNER"
    assert run_due_reviews(services, clients, answered + timedelta(days=181)).sent == 0
    assert run_due_reviews(services, clients, answered + timedelta(days=182)).sent == 1
    assert len(review_dms(standin)) == 2


def test_only_the_owner_or_an_admin_can_answer_and_retire_hides_the_persona(
    services: Services, mary: int, workspace_id: int
) -> None:
    with services.sessions.begin() as s:
        persona = get_persona(s, workspace_id, mary)
        assert persona is not None
        cycle = int(persona.reviewed_at.timestamp())
    refused = services.reviews.record_outcome(TEAM, "U0SOMEONE", mary, cycle, "retired", now=DUE)
    assert refused.status is ReviewStatus.NOT_ALLOWED
    retired = services.reviews.record_outcome(TEAM, "U0ADMIN", mary, cycle, "retired", now=DUE)
    assert retired.status is ReviewStatus.RECORDED
    assert services.lookup.card(TEAM, mary) is None, "retired personas disappear from lookups"
    assert services.reviews.overdue(TEAM, DUE + timedelta(days=400)) == []
    history = services.personas_admin.history(TEAM, "mary")
    assert history.entries[0].note == "Retired in the six-monthly review"


def test_a_passing_slack_failure_is_retried_on_the_next_tick(
    services: Services, standin: SlackStandin, mary: int
) -> None:
    standin.set_channel_error(standin.dm_channel_id("U0OWNER"), "internal_error")
    run = run_due_reviews(services, SlackClients(services.settings), DUE)
    assert (run.sent, run.failed, run.retry_later) == (0, 0, 1)
    standin.set_channel_error(standin.dm_channel_id("U0OWNER"), None)
    assert run_due_reviews(services, SlackClients(services.settings), DUE + timedelta(minutes=5)).sent == 1
    assert len(review_dms(standin)) == 1


def test_a_5xx_is_not_resent_blind_the_next_tick_looks_first(
    services: Services, standin: SlackStandin, mary: int
) -> None:
    standin.fail("chat.postMessage", status=503, times=1)  # Slack may or may not have posted it
    run = run_due_reviews(services, SlackClients(services.settings), DUE)
    assert (run.sent, run.failed, run.retry_later) == (0, 0, 1)
    assert len(standin.calls("chat.postMessage")) == 1, "no blind retry inside the client"
    run = run_due_reviews(services, SlackClients(services.settings), DUE + timedelta(minutes=5))
    assert (run.sent, run.recovered) == (1, 0)
    assert len(standin.calls("conversations.history")) == 1, "it looked before sending again"
    assert len(review_dms(standin)) == 1


class Crash(BaseException):
    """Stands in for kill -9 between Slack accepting the DM and our commit."""


class DiesBeforeRecording(OutboxService):
    def complete(self, item: object, token: str, channel: str | None, ts: str | None) -> bool:
        raise Crash


def review_effect(services: Services) -> tuple[str, str | None]:
    with services.sessions.begin() as s:
        effect = s.scalars(select(Effect).where(Effect.key.startswith("review:"))).one()
        return effect.status, effect.detail


def test_a_clock_that_died_after_slack_accepted_the_dm_is_not_followed_by_a_second_dm(
    services: Services, standin: SlackStandin, mary: int
) -> None:
    dying = DiesBeforeRecording(services.sessions, services.settings)
    with pytest.raises(Crash):
        reconcile_reviews(ClockContext.of(replace(services, outbox=dying), SlackClients(services.settings)), TEAM, DUE)
    (dm,) = review_dms(standin)
    assert run_due_reviews(services, SlackClients(services.settings), DUE + timedelta(minutes=5)).sent == 0, "live"
    run = run_due_reviews(services, SlackClients(services.settings), DUE + timedelta(hours=2))
    assert (run.sent, run.recovered) == (0, 1)
    assert len(review_dms(standin)) == 1
    assert review_effect(services) == ("done", f"{dm['channel']}:{dm['ts']}")


def test_a_clock_that_died_before_slack_answered_is_followed_by_exactly_one_dm(
    services: Services, standin: SlackStandin, mary: int
) -> None:
    (request,) = services.reviews.due_reviews(TEAM, DUE)
    outbox = services.outbox.for_team(TEAM, DUE)
    assert outbox.claim(request, outbox.new_token(request))  # committed; then the process died
    run = run_due_reviews(services, SlackClients(services.settings), DUE + timedelta(hours=2))
    assert (run.sent, run.recovered) == (1, 0)
    assert len(review_dms(standin)) == 1
    assert review_effect(services)[0] == "done"
    assert len(standin.calls("conversations.history")) == 1


def test_an_unreachable_owner_is_recorded_and_shown_to_admins(
    services: Services, standin: SlackStandin, mary: int, workspace_id: int
) -> None:
    standin.set_channel_error(standin.dm_channel_id("U0OWNER"), "channel_not_found")
    run = run_due_reviews(services, SlackClients(services.settings), DUE)
    assert (run.sent, run.failed) == (0, 1)
    assert run_due_reviews(services, SlackClients(services.settings), DUE + timedelta(hours=1)).failed == 0
    assert services.reviews.overdue_for_admins(TEAM, "U0SOMEONE", DUE) is None
    overdue = services.reviews.overdue_for_admins(TEAM, "U0ADMIN", DUE + timedelta(days=3))
    assert overdue is not None and [(o.name, o.request_status, o.days_overdue) for o in overdue] == [
        ("Marketing Director Mary", "failed", 3)
    ]
    with services.sessions.begin() as s:
        assert overdue_reviews(s, workspace_id, DUE, 182)[0].owner == "U0OWNER"


def test_the_clock_runs_the_review_step(services: Services, standin: SlackStandin, mary: int, engine: Engine) -> None:
    assert reconcile_reviews in CLOCK_STEPS
    ctx = ClockContext.of(services, SlackClients(services.settings), CLOCK_STEPS)
    reconcile_reviews(ctx, TEAM, now=DUE - timedelta(seconds=1))
    assert review_dms(standin) == []
    reconcile_reviews(ctx, TEAM, now=DUE)
    reconcile_reviews(ctx, TEAM, now=DUE + timedelta(minutes=5))
    assert len(review_dms(standin)) == 1
