"""OutcomesService: typed results per persona, who may see them, and the signals on Home, in reviews and on cards."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
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
from persona_store.evidence import Verdict
from persona_store.models import Persona
from persona_store.signals import SignalKind
from tests.outcomes_seed import MANAGER, MARY, OMAR, OWNER, REP, World, seed_world, write_campaigns, write_hubspot


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


def test_the_card_shows_one_outcome_line_only_when_allowed(
    sessions: sessionmaker[Session], pool: ThreadPoolExecutor, services: Services, world: World
) -> None:
    card = services.lookup.card(world.team_id, world.personas[MARY])
    assert card is not None
    assert services.outcomes.card_line(world.team_id, card.id) is None  # the default: off
    allowed = build(sessions, pool, OUTCOMES_ON_CARD="true")
    line = allowed.outcomes.card_line(world.team_id, card.id)
    assert line == ("2026-Q3", pytest.approx(0.2), 10)
    blocks = build_card(card, outcome=line)
    assert_valid_blocks(blocks)
    outcome_blocks = [b for b in blocks if "Deals in" in str(b)]
    assert len(outcome_blocks) == 1 and "Deals in 2026-Q3: 20% won (n=10)." in str(outcome_blocks[0])
    assert blocks[-1]["type"] == "actions"  # the line sits above the buttons


def test_the_workspace_setting_decides_whether_the_card_shows_the_outcome_line(
    services: Services, world: World
) -> None:
    import dataclasses

    card = services.lookup.card(world.team_id, world.personas[MARY])
    assert card is not None and services.outcomes.card_line(world.team_id, card.id) is None
    allowed = dataclasses.replace(services.workspace_settings.current(world.team_id), outcomes_on_card=True)
    services.workspace_settings.save(world.team_id, "U0ADMIN", allowed)
    assert services.outcomes.card_line(world.team_id, card.id) == ("2026-Q3", pytest.approx(0.2), 10)
    assert services.outcomes.card_line("T0ELSEWHERE", card.id) is None, "another workspace's setting is its own"
