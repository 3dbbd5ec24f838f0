"""The report's world (tests/reports_seed) through the evidence model, and the raw rows it pages, on both databases.

In this world nobody rates a persona twice in one quarter, so counting people and counting records agree for a
single quarter; where they differ (a range, the response rate), the people-counting figure is asserted.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy.orm import Session, sessionmaker

from persona_store import report_rows
from persona_store.evidence import Evidence, PersonaEvidence, Verdict, latest_period, load_evidence
from persona_store.quarters import Period, Quarter, parse_period
from persona_store.report_rows import response_page
from tests.reports_seed import HOSTILE_MISSING, NOW, seed_world


def load(sessions: sessionmaker[Session], workspace_id: int, period: str = "2026-Q3") -> Evidence:
    with sessions.begin() as s:
        return load_evidence(s, workspace_id, parse_period(period), now=NOW)


def by_name(data: Evidence) -> dict[str, PersonaEvidence]:
    return {p.name: p for p in data.personas}


def test_summary_numbers_per_persona(sessions: sessionmaker[Session]) -> None:
    world = seed_world(sessions)
    seed_world(sessions, team_id="T0OTHER")  # the same data in another workspace must not leak in
    data = load(sessions, world.workspace_id)
    p = by_name(data)
    assert list(p) == ["Alpha", "Bravo", "Charlie", "Delta"]

    alpha = p["Alpha"]
    assert (alpha.people, alpha.fit.n) == (4, 4)
    assert alpha.fit.mean == pytest.approx(4.5)
    assert alpha.role_fit("sales").mean == pytest.approx(4.5)
    assert alpha.role_fit("success").mean == pytest.approx(4.0)
    assert alpha.role_fit("onboarding").mean == pytest.approx(5.0), "a late round answer counts in the round's quarter"
    assert alpha.previous.mean == pytest.approx(3.0)
    assert alpha.delta == pytest.approx(1.5)
    assert alpha.agreement == pytest.approx(0.875)
    assert alpha.role_gap is None and not alpha.disagreement
    assert alpha.verdict is Verdict.VALIDATED

    bravo = p["Bravo"]
    assert bravo.fit.mean == pytest.approx(3.75)
    assert bravo.role_gap == pytest.approx(2.5) and bravo.disagreement
    assert bravo.previous.mean is None and bravo.delta is None
    assert bravo.verdict is Verdict.CONTESTED

    charlie = p["Charlie"]
    assert (charlie.people, charlie.fit.n, charlie.not_met) == (4, 3, 1)
    assert charlie.fit.mean == pytest.approx(10 / 3)
    assert charlie.not_met_share == pytest.approx(0.25)
    assert charlie.agreement is None
    assert charlie.verdict is Verdict.NEEDS_REVIEW

    delta = p["Delta"]
    assert delta.verdict is Verdict.NOT_ENOUGH_DATA
    assert delta.review_due and not alpha.review_due

    with sessions.begin() as s:
        period = parse_period("2026-Q3")
        assert report_rows.count_responses(s, world.workspace_id, period) == 13
        assert report_rows.count_comments(s, world.workspace_id, period) == 5
    assert data.verdict_counts == {
        Verdict.VALIDATED: 1,
        Verdict.CONTESTED: 1,
        Verdict.NEEDS_REVIEW: 1,
        Verdict.NOT_ENOUGH_DATA: 1,
    }


def test_statements_by_role(sessions: sessionmaker[Session]) -> None:
    world = seed_world(sessions)
    p = by_name(load(sessions, world.workspace_id))
    [alpha] = p["Alpha"].statements
    assert (alpha.kind, alpha.text) == ("pain_point", "Too many tools")
    assert alpha.by_role["sales"].matches == 2
    assert alpha.by_role["success"].partly == 1 and alpha.role_agreement("success") == pytest.approx(0.5)
    assert alpha.counts.total == 4
    [bravo] = p["Bravo"].statements
    assert (bravo.counts.doesnt, bravo.counts.not_seen) == (1, 1)
    assert bravo.agreement == 0.0, "not seen is left out of the agreement share"


def test_trend_and_participation(sessions: sessionmaker[Session]) -> None:
    world = seed_world(sessions)
    data = load(sessions, world.workspace_id)
    assert data.trend_quarters == ("2026-Q2", "2026-Q3")
    alpha = by_name(data)["Alpha"]
    assert alpha.trend["2026-Q2"].mean == pytest.approx(3.0) and alpha.trend["2026-Q3"].mean == pytest.approx(4.5)

    with sessions.begin() as s:
        reps = {r.slack_user_id: r for r in report_rows.rep_participation(s, world.workspace_id, data.period)}
    assert (reps["U0SALES1"].answered, reps["U0SALES1"].name) == (1, "Sam Sales")
    assert reps["U0SUCC1"].skip_reasons == ("no_customer_contact",)
    assert reps["U0ONB1"].reminders == 2 and reps["U0ONB1"].answered == 0
    assert reps["U0SUCC2"].unreachable_reasons == ("user_disabled",) and reps["U0SUCC2"].sent == 0
    roles = data.participation.by_role
    assert roles["sales"].rate == 1.0
    assert roles["success"].rate == 0.0, "one skipped, one unreachable: 0 of 1"
    # answered ÷ (asked − skipped) = 2 ÷ (5 − 1); the old workbook said 2 ÷ 5 = 40 %.
    assert data.participation.total.rate == pytest.approx(0.5)
    assert data.participation.rounds == ("2026-Q3",)


def test_a_range_counts_each_person_once(sessions: sessionmaker[Session]) -> None:
    world = seed_world(sessions)
    data = load(sessions, world.workspace_id, "2026-Q2..2026-Q3")
    alpha = by_name(data)["Alpha"]
    # Two sales reps rated Alpha in Q2 and again in Q3: their Q3 views count, once (records would say 6 ratings).
    assert alpha.fit.n == 4
    assert alpha.fit.mean == pytest.approx(4.5)
    assert data.previous_period.label == "2025-Q4..2026-Q1"
    assert alpha.previous.mean is None
    with sessions.begin() as s:
        assert report_rows.count_responses(s, world.workspace_id, data.period) == 15


def test_an_empty_quarter_is_empty(sessions: sessionmaker[Session]) -> None:
    world = seed_world(sessions)
    data = load(sessions, world.workspace_id, "2025-Q1")
    assert data.views == 0 and not data.participation.asked_anyone
    # Active personas are still listed, with nothing to go on.
    assert {p.verdict for p in data.personas} == {Verdict.NOT_ENOUGH_DATA}


def test_latest_period_is_the_latest_quarter_with_data(sessions: sessionmaker[Session]) -> None:
    world = seed_world(sessions)
    with sessions.begin() as s:
        assert latest_period(s, world.workspace_id) == Period.single(Quarter(2026, 3))
        assert latest_period(s, 999_999, now=datetime(2027, 2, 1, tzinfo=UTC)).label == "2027-Q1"


def test_raw_records_come_in_pages_by_id(sessions: sessionmaker[Session]) -> None:
    world = seed_world(sessions)
    period = parse_period("2026-Q3")
    seen: list[int] = []
    after = 0
    with sessions.begin() as s:
        while page := response_page(s, world.workspace_id, period, after, limit=5):
            assert len(page) <= 5
            seen.extend(row[0] for row in page)
            after = page[-1][0]
        first = response_page(s, world.workspace_id, period)
    assert len(seen) == 13 and seen == sorted(seen)
    row = dict(zip(report_rows.RESPONSE_COLUMNS, first[0], strict=True))
    assert (row["persona"], row["author_name"], row["fit"], row["matches"]) == ("Alpha", "Sam Sales", 5, 1)
    charlie = next(r for r in first if r[3] == "Charlie" and r[16])
    assert charlie[16] == HOSTILE_MISSING
