"""The evidence model: each person counts once, on SQLite and PostgreSQL, from the world in tests/evidence_seed."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from persona_store import evidence
from persona_store.evidence import (
    Evidence,
    EvidenceRules,
    Fit,
    ResponseRate,
    Verdict,
    decide_verdict,
    load_evidence,
    participation,
    persona_evidence,
    review_due_clause,
    role_gap,
)
from persona_store.models import Persona
from persona_store.quarters import Period, parse_period
from tests.evidence_seed import MARY, NOW, SID, seed_truth


def load(sessions: sessionmaker[Session], workspace_id: int, period: str = "2026-Q4", **rules: int) -> Evidence:
    with sessions.begin() as s:
        return load_evidence(s, workspace_id, parse_period(period), now=NOW, rules=EvidenceRules(**rules))


def test_each_person_counts_once_with_their_latest_view(sessions: sessionmaker[Session]) -> None:
    world = seed_truth(sessions)
    seed_truth(sessions, team_id="T0OTHER")  # the same data in another workspace must not leak in
    mary = load(sessions, world.workspace_id).named(MARY)
    assert mary is not None
    assert mary.fit.mean == pytest.approx(3.2), "4 (repeat rater's last), 5 (check-in over ad hoc), 4 (edit), 2, 1"
    assert mary.fit.n == 5
    assert mary.people == 6 and mary.not_met == 1
    assert mary.not_met_share == pytest.approx(1 / 6)
    assert mary.role_fit("sales").mean == pytest.approx(13 / 3) and mary.role_fit("sales").n == 3
    assert mary.role_fit("success").mean == pytest.approx(1.5) and mary.role_fit("success").n == 2
    assert mary.role_people("success") == 3, "the person who hasn't met her is a success view, not in the mean"
    assert mary.sources == {"adhoc": 2, "checkin": 3, "shortcut": 1}


def test_uncertainty_is_a_90_percent_t_interval(sessions: sessionmaker[Session]) -> None:
    world = seed_truth(sessions)
    mary = load(sessions, world.workspace_id).named(MARY)
    assert mary is not None
    # views 4, 5, 4, 2, 1: sample sd = sqrt(10.8 / 4) = 1.643; se = 0.735; t(4) = 2.132
    assert mary.fit.stderr == pytest.approx(1.6432 / 5**0.5, abs=1e-3)
    assert mary.fit.margin == pytest.approx(2.132 * 0.7348, abs=1e-3)
    assert mary.fit.interval == pytest.approx((3.2 - 1.5667, 3.2 + 1.5667), abs=1e-3)
    sid = load(sessions, world.workspace_id).named(SID)
    assert sid is not None and sid.fit.n == 1 and sid.fit.margin is None and sid.fit.interval is None


def test_statement_agreement_is_one_person_one_vote(sessions: sessionmaker[Session]) -> None:
    world = seed_truth(sessions)
    mary = load(sessions, world.workspace_id).named(MARY)
    assert mary is not None
    [tools] = mary.statements
    assert (tools.kind, tools.text) == ("pain_point", "Too many tools")
    assert (tools.counts.matches, tools.counts.partly, tools.counts.doesnt) == (2, 1, 2)
    assert tools.agreement == pytest.approx(0.5)
    assert tools.role_agreement("sales") == pytest.approx(2.5 / 3)
    assert tools.role_agreement("success") == pytest.approx(0.0)
    assert mary.agreement == pytest.approx(0.5)
    assert mary.weakest == tools


def test_verdict_disagreement_change_and_last_validated(sessions: sessionmaker[Session]) -> None:
    world = seed_truth(sessions)
    data = load(sessions, world.workspace_id)
    mary, sid = data.named(MARY), data.named(SID)
    assert mary is not None and sid is not None
    assert mary.role_gap == pytest.approx(13 / 3 - 1.5) and mary.disagreement
    assert mary.verdict is Verdict.CONTESTED
    assert mary.previous.mean == pytest.approx(2.0) and mary.previous.n == 2
    assert mary.delta == pytest.approx(1.2)
    assert mary.last_validated == date(2026, 6, 30) and mary.last_validated_quarter == "2026-Q2"
    assert mary.trend["2026-Q2"].mean == pytest.approx(13 / 3) and mary.trend["2026-Q3"].n == 2
    assert sid.verdict is Verdict.NOT_ENOUGH_DATA and sid.last_validated is None
    assert data.verdict_counts[Verdict.CONTESTED] == 1 and data.verdict_counts[Verdict.NOT_ENOUGH_DATA] == 1
    assert data.views == 7


def test_review_due_counts_a_review_or_a_revision(sessions: sessionmaker[Session]) -> None:
    world = seed_truth(sessions)
    data = load(sessions, world.workspace_id)
    mary, sid = data.named(MARY), data.named(SID)
    assert mary is not None and sid is not None
    assert mary.review_due, "neither reviewed nor revised since March"
    assert not sid.review_due, "revised in February, but Still accurate on 1 Nov"
    with sessions.begin() as s:
        due = s.scalars(
            select(Persona.name).where(Persona.workspace_id == world.workspace_id, review_due_clause(NOW, 182))
        ).all()
    assert due == [MARY]
    later = NOW + timedelta(days=365)
    with sessions.begin() as s:
        due_later = set(
            s.scalars(
                select(Persona.name).where(Persona.workspace_id == world.workspace_id, review_due_clause(later, 182))
            )
        )
    assert due_later == {MARY, SID}


def test_response_rate_is_answered_over_asked_minus_skipped(sessions: sessionmaker[Session]) -> None:
    world = seed_truth(sessions)
    with sessions.begin() as s:
        part = participation(s, world.workspace_id, parse_period("2026-Q4"))
    total = part.total
    assert (total.asked, total.answered, total.skipped, total.unreachable, total.silent) == (6, 3, 1, 1, 1)
    assert total.rate == pytest.approx(0.6)
    assert part.by_role["onboarding"].rate == pytest.approx(0.0), "one skipped, one unreachable: 0 of 1"
    assert part.by_role["onboarding"].skip_reasons == {"on_leave": 1}
    assert part.by_role["sales"].rate == pytest.approx(1.0)
    assert part.rounds == ("2026-Q4",)
    assert ResponseRate("x", asked=2, skipped=2).rate is None


def test_minimum_group_withholds_small_groups(sessions: sessionmaker[Session]) -> None:
    world = seed_truth(sessions)
    data = load(sessions, world.workspace_id, min_group=3)
    mary, sid = data.named(MARY), data.named(SID)
    assert mary is not None and sid is not None
    assert mary.fit.mean == pytest.approx(3.2)
    success = mary.role_fit("success")
    assert success.suppressed and success.mean is None and success.n == 2
    assert mary.role_fit("sales").mean == pytest.approx(13 / 3)
    assert mary.role_gap is None and mary.verdict is Verdict.NEEDS_REVIEW, "a role of 2 can't make it contested"
    assert mary.previous.suppressed and mary.delta is None
    assert sid.fit.suppressed and sid.fit.mean is None and sid.not_met_share is None
    [tools] = mary.statements
    assert "success" in tools.suppressed_roles and tools.role_agreement("success") is None
    assert tools.agreement == pytest.approx(0.5)


def test_a_range_counts_a_person_once_across_its_quarters(sessions: sessionmaker[Session]) -> None:
    world = seed_truth(sessions)
    mary = load(sessions, world.workspace_id, "2026-Q3..2026-Q4").named(MARY)
    assert mary is not None
    assert mary.fit.n == 5, "U0MGR and U0SALES1 rated in Q3 and Q4: their Q4 views count, once"
    assert mary.fit.mean == pytest.approx(3.2)
    assert mary.period == Period(parse_period("2026-Q3").first, parse_period("2026-Q4").last)
    assert mary.previous.n == 3 and mary.previous.mean == pytest.approx(13 / 3), "Q1..Q2 of the same length"
    assert mary.last_validated == date(2026, 6, 30), "the latest validated quarter, whatever the period's length"


def test_one_persona_only(sessions: sessionmaker[Session]) -> None:
    world = seed_truth(sessions)
    with sessions.begin() as s:
        found = persona_evidence(s, world.workspace_id, parse_period("2026-Q4"), world.mary, now=NOW)
        other = persona_evidence(s, world.workspace_id + 999, parse_period("2026-Q4"), world.mary, now=NOW)
    assert found is not None and found.fit.mean == pytest.approx(3.2)
    assert other is None


def test_rules_as_functions() -> None:
    assert decide_verdict(2, 5.0, None, False) is Verdict.NOT_ENOUGH_DATA
    assert decide_verdict(3, 4.0, None, True) is Verdict.CONTESTED
    assert decide_verdict(3, 4.0, 0.7, False) is Verdict.VALIDATED
    assert decide_verdict(3, 4.0, 0.69, False) is Verdict.NEEDS_REVIEW
    assert decide_verdict(3, 3.9, None, False) is Verdict.NEEDS_REVIEW
    fits = {"sales": Fit(4.0, 2, 0.1), "success": Fit(3.0, 2, 0.1), "onboarding": Fit(1.0, 1, None)}
    assert role_gap(fits) == pytest.approx(1.0)
    assert role_gap({"sales": Fit(4.0, 2, 0.1), "marketing": Fit(1.0, 5, 0.1)}) is None
    assert Fit.of(1, 4, 16).stderr is None and Fit.of(0, 0, 0) == Fit()
    assert evidence.t90(4) == pytest.approx(2.132) and evidence.t90(500) == pytest.approx(1.645)
    assert EvidenceRules.of(182, anonymous=True).min_group == 3
    assert EvidenceRules.of(182, anonymous=False, min_group_size=5).min_group == 1
