"""A reworded statement starts afresh (RULE_FRESH_START); disputed statements (RULE_DISPUTED); coverage
(RULE_COVERAGE): on SQLite and PostgreSQL, through the evidence model."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

from sqlalchemy.orm import Session, sessionmaker

from persona_store.evidence import EvidenceRules, load_evidence, statement_coverage, wording_since
from persona_store.feedback import FeedbackAnswers, record_feedback
from persona_store.persona_spec import PersonaSpec
from persona_store.personas import apply_persona
from persona_store.quarters import parse_period

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)
PERIOD = parse_period("2026-Q4")
SPEC = PersonaSpec(
    name="Mary", key="mary", goals=("Hit pipeline",), pain_points=("Attribution breaks between tools", "Budget")
)


def _apply(sessions: sessionmaker[Session], workspace_id: int, **fields: object) -> tuple[int, int]:
    with sessions.begin() as s:
        result = apply_persona(s, workspace_id, dataclasses.replace(SPEC, **fields), author="U0OWNER", now=NOW)  # type: ignore[arg-type]
        return result.persona.id, result.persona.revision_number


def _verdicts(
    sessions: sessionmaker[Session], workspace_id: int, persona_id: int, revision: int, verdicts: list[str], tag: str
) -> None:
    with sessions.begin() as s:
        for n, verdict in enumerate(verdicts):
            answers = FeedbackAnswers(persona_id, revision, "sales", fit=3, verdicts={1: verdict})
            record_feedback(
                s, workspace_id, answers, submission_key=f"{tag}{n}", author_id=f"U{tag}{n}", source="adhoc", now=NOW
            )


def _statement(sessions: sessionmaker[Session], workspace_id: int, text: str):  # type: ignore[no-untyped-def]
    with sessions.begin() as s:
        data = load_evidence(s, workspace_id, PERIOD, now=NOW)
    [mary] = data.personas
    return next((x for x in mary.statements if x.text == text), None), mary


def test_a_disputed_statement_is_proposed_and_a_rewording_starts_afresh(
    sessions: sessionmaker[Session], workspace_id: int
) -> None:
    pid, rev = _apply(sessions, workspace_id)
    _verdicts(sessions, workspace_id, pid, rev, ["doesnt"] * 5 + ["matches"] * 2, "a")
    old, mary = _statement(sessions, workspace_id, "Attribution breaks between tools")
    assert old is not None and old.current and old.disputed
    assert (old.counts.doesnt, old.counts.judged) == (5, 7)
    assert [s.text for s in mary.disputed] == ["Attribution breaks between tools"]

    _, rev2 = _apply(sessions, workspace_id, pain_points=("Attribution is owned by nobody", "Budget"))
    old, mary = _statement(sessions, workspace_id, "Attribution breaks between tools")
    assert old is not None and not old.current and not old.disputed, "the old wording stays, as history"
    new, _ = _statement(sessions, workspace_id, "Attribution is owned by nobody")
    assert new is None, "no verdict on the new wording yet"
    assert mary.disputed == ()
    _verdicts(sessions, workspace_id, pid, rev2, ["matches"], "b")
    new, _ = _statement(sessions, workspace_id, "Attribution is owned by nobody")
    assert new is not None and new.counts.judged == 1 and new.since_revision == rev2

    # back to the first words: verdicts given to them before are history, not the new wording's agreement
    _, rev3 = _apply(sessions, workspace_id)
    with sessions.begin() as s:
        since = wording_since(s, workspace_id)
    assert since[(pid, "pain_point", "Attribution breaks between tools")] == rev3
    assert since[(pid, "pain_point", "Budget")] == 0
    back, mary = _statement(sessions, workspace_id, "Attribution breaks between tools")
    assert back is None, "only verdicts on the earlier wording: nothing counts yet"
    _verdicts(sessions, workspace_id, pid, rev3, ["matches"], "c")
    back, mary = _statement(sessions, workspace_id, "Attribution breaks between tools")
    assert back is not None and back.counts.judged == 1 and back.earlier.judged == 7
    assert back.current and not back.disputed


def test_coverage_counts_views_per_role_against_the_minimum(sessions: sessionmaker[Session], workspace_id: int) -> None:
    pid, rev = _apply(sessions, workspace_id, team_roles=("sales", "success"))
    _verdicts(sessions, workspace_id, pid, rev, ["matches", "doesnt", "not_seen"], "a")
    with sessions.begin() as s:
        coverage = statement_coverage(s, workspace_id, PERIOD, now=NOW, rules=EvidenceRules.of(182, False, 3))
    assert [(c.kind, c.text, c.views) for c in coverage] == [
        ("goal", "Hit pipeline", 0),
        ("pain_point", "Attribution breaks between tools", 3),
        ("pain_point", "Budget", 0),
    ]
    attribution = coverage[1]
    assert attribution.roles == ("sales", "success")
    assert attribution.reached("sales") and not attribution.reached("success")
    assert attribution.missing_roles == ("success",) and not attribution.covered
