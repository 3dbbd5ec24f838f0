"""The report's numbers, computed in SQL, on SQLite and PostgreSQL, from the hand-checked world in reports_seed."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy.orm import Session, sessionmaker

from persona_store import aggregates
from persona_store.aggregates import (
    ReportData,
    RoleStats,
    Verdict,
    agreement_share,
    decide_verdict,
    latest_period,
    load_report,
    response_page,
    role_disagreement,
)
from persona_store.quarters import Period, Quarter, parse_period
from tests.reports_seed import HOSTILE_MISSING, NOW, seed_world


def load(sessions: sessionmaker[Session], workspace_id: int, period: str = "2026-Q3") -> ReportData:
    with sessions.begin() as s:
        return load_report(s, workspace_id, parse_period(period), NOW)


def by_name(data: ReportData) -> dict[str, aggregates.PersonaSummary]:
    return {p.name: p for p in data.personas}


def test_summary_numbers_per_persona(sessions: sessionmaker[Session]) -> None:
    world = seed_world(sessions)
    seed_world(sessions, team_id="T0OTHER")  # the same data in another workspace must not leak in
    data = load(sessions, world.workspace_id)
    p = by_name(data)
    assert list(p) == ["Alpha", "Bravo", "Charlie", "Delta"]

    alpha = p["Alpha"]
    assert (alpha.respondents, alpha.rated_respondents, alpha.ratings) == (4, 4, 4)
    assert alpha.mean_fit == pytest.approx(4.5)
    assert alpha.role_mean("sales") == pytest.approx(4.5)
    assert alpha.role_mean("success") == pytest.approx(4.0)
    assert alpha.role_mean("onboarding") == pytest.approx(5.0), "the late round answer counts in the round's quarter"
    assert alpha.previous_mean_fit == pytest.approx(3.0)
    assert alpha.delta == pytest.approx(1.5)
    assert alpha.attributes.agreement == pytest.approx(0.875)
    assert alpha.role_gap is None and not alpha.disagreement
    assert alpha.verdict is Verdict.VALIDATED

    bravo = p["Bravo"]
    assert bravo.mean_fit == pytest.approx(3.75)
    assert bravo.role_gap == pytest.approx(2.5) and bravo.disagreement
    assert bravo.previous_mean_fit is None and bravo.delta is None
    assert bravo.verdict is Verdict.CONTESTED

    charlie = p["Charlie"]
    assert (charlie.records, charlie.ratings, charlie.not_met) == (4, 3, 1)
    assert charlie.mean_fit == pytest.approx(10 / 3)
    assert charlie.not_met_share == pytest.approx(0.25)
    assert charlie.attributes.agreement is None
    assert charlie.verdict is Verdict.NEEDS_REVIEW

    delta = p["Delta"]
    assert delta.verdict is Verdict.NOT_ENOUGH_DATA
    assert delta.review_overdue and not alpha.review_overdue

    assert data.response_count == 13
    assert data.comment_count == 5
    assert data.verdict_counts == {
        Verdict.VALIDATED: 1,
        Verdict.CONTESTED: 1,
        Verdict.NEEDS_REVIEW: 1,
        Verdict.NOT_ENOUGH_DATA: 1,
    }


def test_attribute_rows_by_role(sessions: sessionmaker[Session]) -> None:
    world = seed_world(sessions)
    data = load(sessions, world.workspace_id)
    alpha = next(a for a in data.attributes if a.persona_name == "Alpha")
    assert (alpha.kind, alpha.text) == ("pain_point", "Too many tools")
    assert alpha.by_role["sales"].matches == 2
    assert alpha.by_role["success"].partly == 1 and alpha.by_role["success"].agreement == pytest.approx(0.5)
    assert alpha.total.total == 4
    bravo = next(a for a in data.attributes if a.persona_name == "Bravo")
    assert (bravo.total.doesnt, bravo.total.not_seen) == (1, 1)
    assert bravo.total.agreement == 0.0, "not seen is left out of the agreement share"


def test_trend_and_participation(sessions: sessionmaker[Session]) -> None:
    world = seed_world(sessions)
    data = load(sessions, world.workspace_id)
    assert data.trend_quarters == ["2026-Q2", "2026-Q3"]
    alpha = next(t for t in data.trend if t.persona_name == "Alpha")
    assert alpha.mean("2026-Q2") == pytest.approx(3.0) and alpha.mean("2026-Q3") == pytest.approx(4.5)

    reps = {r.slack_user_id: r for r in data.reps}
    assert (reps["U0SALES1"].answered, reps["U0SALES1"].name) == (1, "Sam Sales")
    assert reps["U0SUCC1"].skip_reasons == ("no_customer_contact",)
    assert reps["U0ONB1"].reminders == 2 and reps["U0ONB1"].answered == 0
    assert reps["U0SUCC2"].unreachable_reasons == ("user_disabled",) and reps["U0SUCC2"].sent == 0
    roles = {r.role: r for r in data.roles}
    assert roles["sales"].response_rate == 1.0
    assert roles["success"].response_rate == 0.0
    assert data.response_rate == pytest.approx(0.4)
    assert data.rounds == ["2026-Q3"]


def test_a_range_adds_the_quarters_up(sessions: sessionmaker[Session]) -> None:
    world = seed_world(sessions)
    data = load(sessions, world.workspace_id, "2026-Q2..2026-Q3")
    alpha = by_name(data)["Alpha"]
    assert alpha.ratings == 6
    assert alpha.mean_fit == pytest.approx((5 + 4 + 4 + 5 + 3 + 3) / 6)
    assert data.previous_period.label == "2025-Q4..2026-Q1"
    assert alpha.previous_mean_fit is None
    assert data.response_count == 15


def test_an_empty_quarter_is_empty(sessions: sessionmaker[Session]) -> None:
    world = seed_world(sessions)
    data = load(sessions, world.workspace_id, "2025-Q1")
    assert data.empty and data.response_count == 0 and data.reps == []
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
    row = dict(zip(aggregates.RESPONSE_COLUMNS, first[0], strict=True))
    assert (row["persona"], row["author_name"], row["fit"], row["matches"]) == ("Alpha", "Sam Sales", 5, 1)
    charlie = next(r for r in first if r[3] == "Charlie" and r[16])
    assert charlie[16] == HOSTILE_MISSING


@pytest.mark.parametrize(
    ("rated", "mean", "agreement", "disagree", "expected"),
    [
        (2, 5.0, 1.0, False, Verdict.NOT_ENOUGH_DATA),
        (3, 4.0, 0.70, False, Verdict.VALIDATED),
        (3, 4.0, None, False, Verdict.VALIDATED),
        (3, 4.0, 0.69, False, Verdict.NEEDS_REVIEW),
        (3, 3.99, 1.0, False, Verdict.NEEDS_REVIEW),
        (3, 4.5, 1.0, True, Verdict.CONTESTED),
    ],
)
def test_the_verdict_rule(rated: int, mean: float, agreement: float | None, disagree: bool, expected: Verdict) -> None:
    assert decide_verdict(rated, mean, agreement, disagree) is expected


def test_disagreement_needs_two_front_line_roles_with_enough_ratings() -> None:
    assert (
        role_disagreement({"sales": RoleStats(ratings=2, fit_sum=10), "success": RoleStats(ratings=1, fit_sum=1)})
        is None
    )
    gap = role_disagreement({"sales": RoleStats(ratings=2, fit_sum=10), "onboarding": RoleStats(ratings=2, fit_sum=8)})
    assert gap == pytest.approx(1.0)
    assert (
        role_disagreement({"sales": RoleStats(ratings=2, fit_sum=10), "marketing": RoleStats(ratings=5, fit_sum=5)})
        is None
    )
    assert agreement_share(1, 1, 0) == pytest.approx(0.75) and agreement_share(0, 0, 0) is None
