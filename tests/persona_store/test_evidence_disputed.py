"""Disputed statements and the previous period's verdict, from the evidence model (tests/evidence_seed)."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from persona_store.evidence import EvidenceRules, Verdict, load_evidence
from persona_store.quarters import parse_period
from tests.evidence_seed import MARY, NOW, SID, seed_truth


def test_a_statement_is_disputed_overall_and_by_the_roles_that_dispute_it(sessions: sessionmaker[Session]) -> None:
    world = seed_truth(sessions)
    with sessions.begin() as s:
        mary = load_evidence(s, world.workspace_id, parse_period("2026-Q4"), now=NOW).named(MARY)
    assert mary is not None
    (tools,) = mary.disputed
    assert tools.text == "Too many tools" and tools.disputed
    assert tools.disputed_by == ("success",), "sales agree 83 %, success 0 %"
    assert mary.most_disputed == tools
    assert mary.disputed_by_role() == {"success": 1}


def test_the_minimum_group_hides_a_role_that_disputes(sessions: sessionmaker[Session]) -> None:
    world = seed_truth(sessions)
    with sessions.begin() as s:
        data = load_evidence(s, world.workspace_id, parse_period("2026-Q4"), now=NOW, rules=EvidenceRules(min_group=3))
    mary = data.named(MARY)
    assert mary is not None
    (tools,) = mary.disputed
    assert tools.disputed_by == (), "two success people are fewer than the minimum group of 3"
    assert mary.disputed_by_role() == {}


def test_the_previous_periods_verdict_sits_beside_this_one(sessions: sessionmaker[Session]) -> None:
    world = seed_truth(sessions)
    with sessions.begin() as s:
        q4 = load_evidence(s, world.workspace_id, parse_period("2026-Q4"), now=NOW)
        q3 = load_evidence(s, world.workspace_id, parse_period("2026-Q3"), now=NOW)
        halves = load_evidence(s, world.workspace_id, parse_period("2026-Q3..2026-Q4"), now=NOW)
    mary, sid = q4.named(MARY), q4.named(SID)
    assert mary is not None and sid is not None
    assert mary.verdict is Verdict.CONTESTED and mary.previous_verdict is Verdict.NOT_ENOUGH_DATA
    assert mary.verdict_changed
    assert sid.previous_verdict is None and not sid.verdict_changed, "nobody rated Sid in 2026-Q3"
    mary_q3 = q3.named(MARY)
    assert mary_q3 is not None and mary_q3.previous_verdict is Verdict.VALIDATED, "2026-Q2: 4.33 from three"
    mary_halves = halves.named(MARY)
    assert mary_halves is not None and mary_halves.previous_verdict is Verdict.VALIDATED, "2026-Q1..Q2 is Q2's"
