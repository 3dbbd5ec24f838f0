"""OutcomesService: typed results per persona, who may see them, and the signals on Home, in reviews and on cards."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from bot.blocks.home import build_home
from bot.blocks.limits import assert_valid_blocks, assert_valid_view
from bot.blocks.persona import build_card
from bot.blocks.reviews import build_review_dm
from bot.config import Settings
from bot.services import Services
from bot.services.lookup import LookupService, PersonaCard
from persona_store.db import make_session_factory
from persona_store.evidence import Verdict
from persona_store.models import Persona, Workspace
from persona_store.signals import SignalKind
from tests.outcomes_seed import (
    MANAGER,
    MARY,
    OMAR,
    OWNER,
    REP,
    DealRow,
    World,
    deal_rows,
    seed_world,
    write_campaigns,
    write_hubspot,
)


def build(sessions: sessionmaker[Session], pool: ThreadPoolExecutor, **env: str) -> Services:
    return Services.build(Settings.from_env(env), sessions, pool)


@pytest.fixture
def pool() -> Iterator[ThreadPoolExecutor]:
    with ThreadPoolExecutor(1) as executor:
        yield executor


@pytest.fixture
def services(sessions: sessionmaker[Session], pool: ThreadPoolExecutor) -> Services:
    return build(sessions, pool, PERSONA_BOT_ADMINS="U0ADMIN")


@pytest.fixture
def world(sessions: sessionmaker[Session], services: Services, tmp_path: Path) -> World:
    world = seed_world(sessions)
    services.outcomes.import_file(world.team_id, write_hubspot(tmp_path / "d.csv"))
    services.outcomes.import_file(world.team_id, write_campaigns(tmp_path / "c.csv"), kind="campaigns")
    return world


def test_persona_outcomes_returns_typed_figures_signals_and_the_unchanged_verdict(
    services: Services, world: World
) -> None:
    results = services.outcomes.persona_outcomes(world.team_id, "mary", "2026-Q3")
    assert results is not None
    assert results.period.label == "2026-Q3" and results.previous_period.label == "2026-Q2"
    assert results.outcomes.name == MARY and results.outcomes.deals.win_rate == pytest.approx(0.2)
    assert results.outcomes.win_rate_change == pytest.approx(-0.3)
    assert results.fit is not None and results.fit.ratings == 6
    assert [s.kind for s in results.signals] == [
        SignalKind.FITS_BUT_LOSING,
        SignalKind.FIT_BLIND_TO_OUTCOME,
        SignalKind.FITS_BUT_NOT_CONVERTING,
    ]
    # The front line's verdict (six reps say Mary fits: validated), untouched by what her deals say.
    assert results.verdict is Verdict.VALIDATED
    # By id, and the default period is the latest quarter a deal closed in.
    by_id = services.outcomes.persona_outcomes(world.team_id, world.personas[OMAR])
    assert by_id is not None and by_id.period.label == "2026-Q3" and by_id.outcomes.deals.won == 6
    assert services.outcomes.persona_outcomes(world.team_id, "nobody like this") is None


def test_outcome_figures_are_for_managers_admins_and_the_owner(services: Services, world: World) -> None:
    mary, omar = world.personas[MARY], world.personas[OMAR]
    assert services.outcomes.may_see(world.team_id, MANAGER, omar)
    assert services.outcomes.may_see(world.team_id, "U0ADMIN", omar)
    assert services.outcomes.may_see(world.team_id, OWNER, mary)
    assert not services.outcomes.may_see(world.team_id, OWNER, omar)
    assert not services.outcomes.may_see(world.team_id, REP, mary)
    assert not services.outcomes.may_see(world.team_id, OWNER)  # everyone's figures: not for an owner
    assert services.outcomes.may_import(world.team_id, MANAGER)
    assert not services.outcomes.may_import(world.team_id, OWNER)


def test_the_owner_sees_their_personas_signals_on_home(services: Services, world: World) -> None:
    view = services.home.build_for(world.team_id, OWNER)
    assert view.outcome_period == "2026-Q3"
    assert {s.persona_name for s in view.outcome_signals} == {MARY}
    home = build_home(view)
    assert_valid_view(home)
    text = str(home)
    assert "Outcomes for your personas (2026-Q3)" in text and "the win rate fell from 50% to 20%" in text
    # A rep who owns nothing sees no outcome figure.
    assert "Outcomes for your personas" not in str(build_home(services.home.build_for(world.team_id, REP)))


def test_the_review_digest_carries_the_personas_signals(
    services: Services, world: World, sessions: sessionmaker[Session]
) -> None:
    with sessions.begin() as s:
        s.execute(
            update(Persona)
            .where(Persona.id == world.personas[MARY])
            .values(reviewed_at=datetime(2025, 1, 1, tzinfo=UTC), revised_at=datetime(2025, 1, 1, tzinfo=UTC))
        )
    requests = services.reviews.due_reviews(world.team_id, datetime.now(UTC))
    mary = next(r for r in requests if r.persona_id == world.personas[MARY])
    assert mary.signals_period == "2026-Q3" and len(mary.signals) == 3
    blocks = build_review_dm(mary, services.reviews.after_days)
    assert_valid_blocks(blocks)
    text = str(blocks)
    assert "Outcomes beside the front line (2026-Q3)" in text
    assert "Rule: mean fit 4.0 or more" in text and "never change it" in text


def outcome_line(card: PersonaCard | None) -> tuple[str, float | None, int] | None:
    assert card is not None
    return (
        None if card.outcome is None else (card.outcome.period, card.outcome.deals.win_rate, card.outcome.deals.closed)
    )


def test_the_card_shows_one_outcome_line_only_when_allowed(
    sessions: sessionmaker[Session], pool: ThreadPoolExecutor, services: Services, world: World
) -> None:
    card = services.lookup.card(world.team_id, world.personas[MARY])
    assert outcome_line(card) is None  # the default: off
    assert card is not None and not [b for b in build_card(card) if "Deals in" in str(b)]
    allowed = build(sessions, pool, OUTCOMES_ON_CARD="true")
    card = allowed.lookup.card(world.team_id, world.personas[MARY])
    assert outcome_line(card) == ("2026-Q3", pytest.approx(0.2), 10)
    assert card is not None
    blocks = build_card(card)
    assert_valid_blocks(blocks)
    outcome_blocks = [b for b in blocks if "Deals in" in str(b)]
    assert len(outcome_blocks) == 1 and "Deals in 2026-Q3: 20% won (n=10)." in str(outcome_blocks[0])
    assert blocks[-1]["type"] == "actions"  # the line sits above the buttons
    shared = build_card(card, shared_by="U0REP", with_actions=False)
    assert [b for b in shared if "Deals in 2026-Q3: 20% won (n=10)." in str(b)], "a shared copy reads the same"
    found = allowed.lookup.lookup(world.team_id, "mary")
    assert found.card == card, "a lookup, a pick and a share all read the one cached card"


def test_the_workspace_setting_decides_whether_the_card_shows_the_outcome_line(
    services: Services, world: World, tmp_path: Path
) -> None:
    import dataclasses

    elsewhere = seed_world(services.sessions, "T0ELSEWHERE")
    services.outcomes.import_file(elsewhere.team_id, write_hubspot(tmp_path / "elsewhere.csv"))
    assert outcome_line(services.lookup.card(world.team_id, world.personas[MARY])) is None
    allowed = dataclasses.replace(services.workspace_settings.current(world.team_id), outcomes_on_card=True)
    services.workspace_settings.save(world.team_id, "U0ADMIN", allowed)
    mary = services.lookup.card(world.team_id, world.personas[MARY])
    assert outcome_line(mary) == ("2026-Q3", pytest.approx(0.2), 10), "the next lookup after saving shows it"
    there = services.lookup.card(elsewhere.team_id, elsewhere.personas[MARY])
    assert there is not None and outcome_line(there) is None, "another workspace's setting is its own"


def test_an_import_by_another_process_shows_on_the_card_once_the_short_window_has_passed(
    sessions: sessionmaker[Session], pool: ThreadPoolExecutor, world: World, tmp_path: Path
) -> None:
    allowed = build(sessions, pool, OUTCOMES_ON_CARD="true")
    now = [100.0]
    lookup = LookupService(sessions, fresh_for=0.25, clock=lambda: now[0], outcome_lines=allowed.outcomes.card_lines)
    assert outcome_line(lookup.card(world.team_id, world.personas[MARY])) == ("2026-Q3", pytest.approx(0.2), 10)
    # `persona-bot outcomes import` in another process: its own sessions, so no commit is seen here.
    other = build(make_session_factory(sessions.kw["bind"]), pool)
    won = [DealRow(f"OPP-NEW{n}", MARY, "won", date(2026, 7, 1), date(2026, 9, 1), 1000) for n in range(10)]
    other.outcomes.import_file(world.team_id, write_hubspot(tmp_path / "more.csv", [*deal_rows(), *won]))
    assert outcome_line(lookup.card(world.team_id, world.personas[MARY])) == ("2026-Q3", pytest.approx(0.2), 10)
    now[0] += 0.3
    assert outcome_line(lookup.card(world.team_id, world.personas[MARY])) == ("2026-Q3", pytest.approx(0.6), 20)


def test_a_card_with_its_outcome_line_is_answered_while_another_request_holds_the_write_lock(
    sessions: sessionmaker[Session], pool: ThreadPoolExecutor, world: World
) -> None:
    """Lookups only read: on SQLite they never queue behind a feedback save for the one write lock."""
    allowed = build(sessions, pool, OUTCOMES_ON_CARD="true")
    holding, release, answered = threading.Event(), threading.Event(), threading.Event()
    cards: list[PersonaCard | None] = []

    def writer() -> None:
        with sessions.begin() as s:
            s.execute(update(Workspace).where(Workspace.id == world.workspace_id).values(name="Renamed Co"))
            holding.set()
            release.wait(30)

    def looker() -> None:
        cards.append(allowed.lookup.lookup(world.team_id, "mary").card)
        answered.set()

    held = threading.Thread(target=writer, daemon=True)
    held.start()
    assert holding.wait(10)
    threading.Thread(target=looker, daemon=True).start()
    try:
        assert answered.wait(10), "the lookup waited for the writer"  # a hang guard: it needs no time at all
    finally:
        release.set()
        held.join(10)
    assert outcome_line(cards[0]) == ("2026-Q3", pytest.approx(0.2), 10)
