"""The adaptive check-in through the real service and database: each rep's statements are chosen once per round,
the team of a role covers every statement, a forged verdict is dropped, and a reworded statement is asked afresh."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime

from sqlalchemy.orm import Session, sessionmaker

from bot.config import Settings
from bot.services.checkins import CheckinService
from persona_store.checkins import Assignment
from persona_store.evidence import EvidenceRules, statement_coverage
from persona_store.feedback import FeedbackAnswers
from persona_store.models import ROLES
from persona_store.persona_spec import PersonaSpec
from persona_store.personas import apply_persona, get_persona_by_key
from persona_store.quarters import parse_period
from persona_store.workspaces import ensure_workspace

TEAM = "T0ADAPT"
NOW = datetime(2026, 10, 5, 12, tzinfo=UTC)
WIDE = PersonaSpec(
    name="Wide Wendy",
    key="wide-wendy",
    goals=("G1", "G2", "G3"),
    pain_points=("P1", "P2", "P3"),
    objections=("O1", "O2"),
)
SMALL = PersonaSpec(name="Small Sam", key="small-sam", goals=("Only goal",), pain_points=("Only pain",))
REPS = {f"U0R{role[:2].upper()}{n}": role for role in ROLES for n in range(6)}


def _world(sessions: sessionmaker[Session]) -> tuple[CheckinService, int]:
    with sessions.begin() as s:
        workspace_id = ensure_workspace(s, TEAM).id
        for spec in (WIDE, SMALL):
            apply_persona(s, workspace_id, spec, author="import", now=NOW)
    service = CheckinService(sessions, Settings(), clock=lambda: NOW)
    round_info, _ = service.open_round(TEAM, "2026-Q4", date(2026, 10, 20))
    service.assign(TEAM, round_info.id, [Assignment(user, role, "UTC") for user, role in REPS.items()])
    return service, round_info.id


def _answer_all(service: CheckinService, round_id: int, user: str) -> dict[int, tuple[int, ...]]:
    page = service.begin(TEAM, round_id, user)
    for card in page.personas:
        every = {n: "doesnt" for n in range(len(card.goals) + len(card.pain_points) + len(card.objections))}
        answers = FeedbackAnswers(card.id, card.revision_number, page.role, fit=3, verdicts=every)
        service.answer(TEAM, round_id, user, answers)
    return dict(page.questions)


def test_each_role_covers_every_statement_and_nobody_answers_more_than_four(sessions: sessionmaker[Session]) -> None:
    service, round_id = _world(sessions)
    plans = {user: _answer_all(service, round_id, user) for user in REPS}
    with sessions.begin() as s:
        workspace_id = ensure_workspace(s, TEAM).id
        wide = get_persona_by_key(s, workspace_id, "wide-wendy")
        assert wide is not None
        coverage = statement_coverage(
            s, workspace_id, parse_period("2026-Q4"), now=NOW, rules=EvidenceRules.of(182, False, 3)
        )
    for plan in plans.values():
        assert len(plan[wide.id]) == 4, "eight statements: four asked, however many verdicts the client sent"
        assert all(len(positions) <= 4 for positions in plan.values())
    assert len(coverage) == 10
    for item in coverage:
        assert item.covered, (item.text, dict(item.by_role))
        if item.persona_id == wide.id:
            assert all(item.role_views(role) == 3 for role in ROLES), "six reps × four of eight: three each"
        else:
            assert item.views == len(REPS), "a persona with two statements asks both"


def test_reopening_shows_the_same_questions_and_a_reworded_statement_is_asked_afresh(
    sessions: sessionmaker[Session],
) -> None:
    service, round_id = _world(sessions)
    user = next(iter(REPS))
    first = service.begin(TEAM, round_id, user)
    for other in list(REPS)[1:6]:
        _answer_all(service, round_id, other)  # others answering meanwhile changes the evidence …
    again = service.begin(TEAM, round_id, user)
    assert again.questions == first.questions, "… but not this rep's questions"
    assert again.role == REPS[user] and not again.role_confirmed

    with sessions.begin() as s:
        workspace_id = ensure_workspace(s, TEAM).id
        wide = get_persona_by_key(s, workspace_id, "wide-wendy")
        assert wide is not None
        unasked = next(n for n in range(8) if n not in first.questions[wide.id])
        texts = [text for _, text in wide.attributes()]
        reworded = texts[unasked] + " (reworded)"
        kind_field = {"goal": "goals", "pain_point": "pain_points", "objection": "objections"}[
            wide.attributes()[unasked][0]
        ]
        old = getattr(WIDE, kind_field)
        spec = dataclasses.replace(WIDE, **{kind_field: tuple(reworded if t == texts[unasked] else t for t in old)})
        apply_persona(s, workspace_id, spec, author="owner", now=NOW)
    revised = service.begin(TEAM, round_id, user)
    assert unasked in revised.questions[wide.id], "the new wording has no evidence in this role: it is asked"
    _answer_all(service, round_id, user)
    assert service.begin(TEAM, round_id, user).role_confirmed
