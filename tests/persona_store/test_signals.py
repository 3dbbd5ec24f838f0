"""Each signal rule on plain inputs, its edges, and all of them on the seeded world (tests/outcomes_seed.py)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from persona_store import evidence, outcomes
from persona_store.outcomes import (
    CampaignFigures,
    DealFigures,
    FitOnDeals,
    OutcomesData,
    PersonaOutcomes,
    StageShare,
)
from persona_store.quarters import Period, parse_quarter
from persona_store.signals import FitInput, SignalKind, find_signals, fit_inputs
from tests.outcomes_seed import FIONA, MARY, OMAR, seed_world, write_campaigns, write_hubspot

Q3 = Period.single(parse_quarter("2026-Q3"))


def persona(
    pid: int = 1,
    name: str = "Mary",
    deals: DealFigures | None = None,
    previous: DealFigures | None = None,
    campaigns: CampaignFigures | None = None,
    previous_campaigns: CampaignFigures | None = None,
    linked: FitOnDeals | None = None,
) -> PersonaOutcomes:
    return PersonaOutcomes(
        pid,
        name.lower(),
        name,
        None,
        deals or DealFigures(),
        previous or DealFigures(),
        campaigns or CampaignFigures(),
        previous_campaigns or CampaignFigures(),
        linked or FitOnDeals(),
    )


def data(*personas: PersonaOutcomes, totals: DealFigures | None = None) -> OutcomesData:
    if totals is None:
        won = sum(p.deals.won for p in personas)
        totals = DealFigures(won=won, lost=sum(p.deals.lost for p in personas))
    return OutcomesData(1, Q3, Q3.previous(), list(personas), totals, DealFigures(), DealFigures(), [], {}, [], 1, 0)


def fit(pid: int = 1, mean: float | None = 4.3, ratings: int = 6, records: int = 6, not_met: int = 0) -> FitInput:
    return FitInput(pid, "Mary", mean, ratings, None, records, not_met)


LOSING_NOW = DealFigures(
    won=21, lost=79, drop_off=(StageShare("Evaluation", 40, 40 / 79), StageShare("Proposal", 39, 39 / 79))
)
LOSING_BEFORE = DealFigures(won=34, lost=66)


def kinds(fits: dict[int, FitInput], world: OutcomesData) -> list[SignalKind]:
    return [s.kind for s in find_signals(fits, world)]


def test_fits_but_losing_names_the_numbers_and_where_deals_stall() -> None:
    signals = find_signals({1: fit()}, data(persona(deals=LOSING_NOW, previous=LOSING_BEFORE)))
    assert [s.kind for s in signals] == [SignalKind.FITS_BUT_LOSING]
    n = signals[0].numbers
    assert n["fit"] == 4.3 and n["win_rate"] == 0.21 and n["previous_win_rate"] == 0.34
    assert n["stage"] == "Evaluation" and n["stage_share"] == pytest.approx(40 / 79)
    assert signals[0].rule["drop"] == 0.10


@pytest.mark.parametrize(
    "change, expected",
    [
        ({"mean": 3.9}, []),  # reps don't say it fits
        ({"ratings": 2}, []),  # too few ratings to say anything
        ({}, [SignalKind.FITS_BUT_LOSING]),
    ],
)
def test_fits_but_losing_needs_a_rated_high_fit(change: dict[str, float], expected: list[SignalKind]) -> None:
    assert kinds({1: fit(**change)}, data(persona(deals=LOSING_NOW, previous=LOSING_BEFORE))) == expected  # type: ignore[arg-type]


def test_a_small_fall_or_too_few_deals_is_no_signal() -> None:
    assert kinds({1: fit()}, data(persona(deals=DealFigures(won=25, lost=75), previous=LOSING_BEFORE))) == []
    assert kinds({1: fit()}, data(persona(deals=DealFigures(won=0, lost=4), previous=LOSING_BEFORE))) == []


def test_no_stage_is_named_when_drop_off_is_spread() -> None:
    spread = replace(LOSING_NOW, drop_off=(StageShare("Evaluation", 30, 0.38), StageShare("Demo", 49, 0.62 - 0.3)))
    signal = find_signals({1: fit()}, data(persona(deals=spread, previous=LOSING_BEFORE)))[0]
    assert signal.numbers["stage"] is None


def test_rarely_met_but_winning() -> None:
    omar = persona(2, "Omar", deals=DealFigures(won=8, lost=2, won_share=0.4))
    rest = persona(3, "Rest", deals=DealFigures(won=12, lost=10, won_share=0.6))
    world = data(omar, rest)
    met = FitInput(3, "Rest", 4.0, 10, None, 10, 0)  # rated often: no signal for Rest
    assert kinds({2: FitInput(2, "Omar", None, 0, None, 5, 5), 3: met}, world) == [SignalKind.RARELY_MET_BUT_WINNING]
    signal = find_signals({2: FitInput(2, "Omar", 4.0, 5, None, 10, 6), 3: met}, world)[0]
    assert signal.numbers["won_share"] == 0.4 and signal.numbers["not_met_share"] == 0.6
    # Met often and rated: no signal; on few won deals: no signal.
    assert kinds({2: FitInput(2, "Omar", 4.0, 9, None, 10, 1), 3: met}, world) == []
    few = data(persona(2, "Omar", deals=DealFigures(won=4, lost=0, won_share=0.4)), rest)
    assert kinds({2: FitInput(2, "Omar", None, 0), 3: met}, few) == []


def test_low_fit_but_winning_is_measured_against_the_workspace() -> None:
    fiona = persona(3, "Fiona", deals=DealFigures(won=5, lost=1))
    rest = persona(4, "Rest", deals=DealFigures(won=10, lost=20))
    assert kinds({3: FitInput(3, "Fiona", 2.0, 3)}, data(fiona, rest)) == [SignalKind.LOW_FIT_BUT_WINNING]
    signal = find_signals({3: FitInput(3, "Fiona", 2.0, 3)}, data(fiona, rest))[0]
    assert signal.numbers["average"] == pytest.approx(15 / 36)
    assert kinds({3: FitInput(3, "Fiona", 2.6, 3)}, data(fiona, rest)) == []


def test_fit_that_doesnt_tell_winners_from_losers() -> None:
    blind = persona(linked=FitOnDeals(12, 3, 14, 3))
    assert kinds({1: fit(mean=None, ratings=0)}, data(blind)) == [SignalKind.FIT_BLIND_TO_OUTCOME]
    telling = persona(linked=FitOnDeals(14, 3, 6, 3))
    assert kinds({1: fit(mean=None, ratings=0)}, data(telling)) == []
    thin = persona(linked=FitOnDeals(8, 2, 14, 3))
    assert kinds({1: fit(mean=None, ratings=0)}, data(thin)) == []


def test_fits_but_not_converting() -> None:
    mary = persona(campaigns=CampaignFigures(1000, 250, 80, 15), previous_campaigns=CampaignFigures(1000, 300, 100, 40))
    assert kinds({1: fit()}, data(mary)) == [SignalKind.FITS_BUT_NOT_CONVERTING]
    small = persona(campaigns=CampaignFigures(100, 25, 8, 1), previous_campaigns=CampaignFigures(1000, 300, 100, 40))
    assert kinds({1: fit()}, data(small)) == []


def test_the_seeded_world_raises_one_of_each(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    world = seed_world(sessions)
    for path, kind in (
        (write_hubspot(tmp_path / "d.csv"), "deals"),
        (write_campaigns(tmp_path / "c.csv"), "campaigns"),
    ):
        header, rows = outcomes.open_csv(path)
        columns = outcomes.resolve_columns(header, kind)  # type: ignore[arg-type]
        importer = outcomes.import_deals if kind == "deals" else outcomes.import_campaigns
        with sessions.begin() as s:
            importer(s, world.workspace_id, rows, columns)
        rows.close()
    with sessions.begin() as s:
        figures = outcomes.load_outcomes(s, world.workspace_id, Q3)
        report = evidence.load_evidence(s, world.workspace_id, Q3, now=datetime(2026, 11, 1, tzinfo=UTC))
    before = [(p.name, p.verdict) for p in report.personas]
    signals = find_signals(fit_inputs(report.personas), figures)
    assert [(s.kind, s.persona_name) for s in signals] == [
        (SignalKind.FITS_BUT_LOSING, MARY),
        (SignalKind.RARELY_MET_BUT_WINNING, OMAR),
        (SignalKind.LOW_FIT_BUT_WINNING, FIONA),
        (SignalKind.FIT_BLIND_TO_OUTCOME, MARY),
        (SignalKind.FITS_BUT_NOT_CONVERTING, MARY),
    ]
    mary = signals[0].numbers
    assert round(float(mary["fit"] or 0), 2) == 4.33 and mary["stage"] == "Evaluation"
    assert (mary["previous_win_rate"], mary["win_rate"]) == (0.5, 0.2)
    # The verdict stays the front line's: signals never change it.
    assert [(p.name, p.verdict) for p in report.personas] == before
