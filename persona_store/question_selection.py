"""Which statements a rep is asked about in a check-in: the adaptive selection.

Each rep is asked, per persona, the fit question and at most `cap` statements (default 4). The statements whose
evidence is weakest *for the rep's role* come first, in tiers:

0. fewer verdicts in the rep's role this period than the coverage minimum (RULE_COVERAGE);
1. disputed (RULE_DISPUTED) or not shown yet because too few people judged it;
2. new or reworded since the rep last gave it a verdict (RULE_FRESH_START), or never answered by this rep;
3. not confirmed in the last two periods (agreement at the validated threshold from enough people);
4. everything else.

Inside a tier, the statement with the fewest verdicts in the role goes first, then a rotation: a hash of the round,
the rep, the persona and the statement. Reps of one role therefore spread over the statements, so the *team*, not
each person, covers every statement each period. The rule is a pure function of its inputs, so a given round and
rep always get the same questions for the same evidence; the check-in stores each rep's selection the first time it
is made (`persona_store.checkins.question_plan`), so reopening a check-in shows the same questions even after
others have answered.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from persona_store.db import insert_ignore
from persona_store.evidence import (
    DISPUTED_MIN_VIEWS,
    VALIDATED_MIN_AGREEMENT,
    EvidenceRules,
    StatementAgreement,
    load_evidence,
    wording_since,
)
from persona_store.models import AttributeCheck, CheckinQuestions, CheckinRound, Feedback, Persona
from persona_store.quarters import Period, parse_quarter

DEFAULT_CAP = 4  # statements per persona per rep per round
TIER_UNDER_COVERED = 0
TIER_DISPUTED = 1
TIER_NEW_TO_REP = 2
TIER_UNCONFIRMED = 3
TIER_REST = 4


@dataclass(frozen=True)
class StatementState:
    """What the selection knows about one statement a persona reads today, for one rep's role."""

    position: int  # in the persona's current statements (goals, pain points, objections)
    kind: str
    text: str
    role_views: int = 0  # people in the rep's role with a verdict on this wording this period
    disputed: bool = False  # RULE_DISPUTED this period, or judged by too few to say
    confirmed: bool = False  # agreement at the threshold from enough people over the last two periods
    since_revision: int = 0  # the revision this wording began in (RULE_FRESH_START)


@dataclass(frozen=True)
class RepHistory:
    """What one rep said before about one persona: per statement (kind, text), the latest revision they gave it a
    verdict against (absent: never)."""

    answered: Mapping[tuple[str, str], int]

    def knows(self, state: StatementState) -> bool:
        revision = self.answered.get((state.kind, state.text))
        return revision is not None and revision >= state.since_revision


NO_HISTORY = RepHistory({})


def tier(state: StatementState, history: RepHistory, minimum: int) -> int:
    if state.role_views < minimum:
        return TIER_UNDER_COVERED
    if state.disputed:
        return TIER_DISPUTED
    if not history.knows(state):
        return TIER_NEW_TO_REP
    if not state.confirmed:
        return TIER_UNCONFIRMED
    return TIER_REST


def rotation(round_label: str, user_id: str, persona_id: int, position: int) -> int:
    """A stable pseudo-random number per (round, rep, persona, statement): the same on every machine and run."""
    digest = hashlib.sha256(f"{round_label}|{user_id}|{persona_id}|{position}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


def select_statements(
    round_label: str,
    user_id: str,
    persona_id: int,
    states: Sequence[StatementState],
    *,
    history: RepHistory = NO_HISTORY,
    minimum: int,
    cap: int = DEFAULT_CAP,
) -> tuple[int, ...]:
    """The positions to ask this rep about, in the persona's own order (at most `cap`)."""
    ranked = sorted(
        states,
        key=lambda s: (tier(s, history, minimum), s.role_views, rotation(round_label, user_id, persona_id, s.position)),
    )
    return tuple(sorted(s.position for s in ranked[: max(0, cap)]))


def statement_states(
    current: Sequence[tuple[str, str]],
    period_statements: Sequence[StatementAgreement],
    recent_statements: Sequence[StatementAgreement],
    role: str,
    wording: Mapping[tuple[str, str], int] | None = None,
) -> list[StatementState]:
    """The selection's inputs for one persona and one role, from the evidence model's statements: this period's
    (views in the role, disputed) and the last two periods' (confirmed). `current`: the persona's statements today;
    `wording`: the revision each began in (`evidence.wording_since`), else what the evidence says."""
    period = {(s.kind, s.text): s for s in period_statements if s.current}
    recent = {(s.kind, s.text): s for s in recent_statements if s.current}
    states = []
    for position, (kind, text) in enumerate(current):
        now_found, recent_found = period.get((kind, text)), recent.get((kind, text))
        views = now_found.by_role[role].total if now_found is not None and role in now_found.by_role else 0
        unsure = now_found is None or now_found.counts.judged < DISPUTED_MIN_VIEWS or now_found.disputed
        confirmed = (
            recent_found is not None
            and recent_found.counts.judged >= DISPUTED_MIN_VIEWS
            and (recent_found.counts.agreement or 0.0) >= VALIDATED_MIN_AGREEMENT
        )
        states.append(
            StatementState(
                position=position,
                kind=kind,
                text=text,
                role_views=views,
                disputed=unsure,
                confirmed=confirmed,
                since_revision=_since(wording, kind, text, now_found or recent_found),
            )
        )
    return states


def _since(
    wording: Mapping[tuple[str, str], int] | None, kind: str, text: str, found: StatementAgreement | None
) -> int:
    if wording is not None and (kind, text) in wording:
        return wording[(kind, text)]
    return found.since_revision if found is not None else 0


def question_count(statements: int, cap: int = DEFAULT_CAP) -> int:
    """How many questions one persona's page asks: fit, plus up to `cap` statements (the time estimate's unit)."""
    return 1 + min(max(0, statements), max(0, cap))


# --- the time estimate ----------------------------------------------------------------------------------------------

SECONDS_PER_QUESTION = 10  # a radio button or a drop-down; the free-text "what's missing" is optional


@dataclass(frozen=True)
class CheckinEstimate:
    """How long a rep's check-in takes: the real number of questions over their personas (the DM and Home say the
    same thing because both read this)."""

    personas: int
    questions: int

    @property
    def minutes(self) -> int:
        return max(1, -(-self.questions * SECONDS_PER_QUESTION // 60))


NO_ESTIMATE = CheckinEstimate(0, 0)


def estimate(statement_counts: Sequence[int], cap: int = DEFAULT_CAP) -> CheckinEstimate:
    """The estimate for personas with these numbers of statements."""
    return CheckinEstimate(len(statement_counts), sum(question_count(n, cap) for n in statement_counts))


def estimate_for(personas: Sequence[Persona], cap: int = DEFAULT_CAP) -> CheckinEstimate:
    return estimate([len(p.attributes()) for p in personas], cap)


# --- the stored plan --------------------------------------------------------------------------------------------


def rep_history(
    session: Session, workspace_id: int, user_id: str, persona_ids: Collection[int]
) -> dict[int, RepHistory]:
    """Per persona, the latest revision this rep gave each statement (kind, text) a verdict against."""
    if not persona_ids:
        return {}
    query = (
        select(Feedback.persona_id, AttributeCheck.kind, AttributeCheck.text, func.max(Feedback.revision_number))
        .join(AttributeCheck, AttributeCheck.feedback_id == Feedback.id)
        .where(
            Feedback.workspace_id == workspace_id,
            Feedback.author_id == user_id,
            Feedback.persona_id.in_(sorted(persona_ids)),
        )
        .group_by(Feedback.persona_id, AttributeCheck.kind, AttributeCheck.text)
    )
    found: dict[int, dict[tuple[str, str], int]] = {}
    for pid, kind, text, revision in session.execute(query):
        found.setdefault(int(pid), {})[(str(kind), str(text))] = int(revision or 0)
    return {pid: RepHistory(answered) for pid, answered in found.items()}


def question_plan(
    session: Session,
    workspace_id: int,
    checkin_round: CheckinRound,
    user_id: str,
    role: str,
    personas: Sequence[Persona],
    *,
    now: datetime,
    rules: EvidenceRules,
    cap: int = DEFAULT_CAP,
) -> dict[int, tuple[int, ...]]:
    """The statement positions (of each persona's current revision) this rep is asked about in this round.

    Chosen once per (round, rep, persona) and stored; a persona revised since is chosen again (its positions name
    other statements now). Two requests choosing at once store one plan: the unique key decides, and both read it.
    """
    wanted = {p.id: p for p in personas}
    if not wanted:
        return {}
    stored = {
        row.persona_id: row
        for row in session.scalars(
            select(CheckinQuestions).where(
                CheckinQuestions.round_id == checkin_round.id,
                CheckinQuestions.slack_user_id == user_id,
                CheckinQuestions.persona_id.in_(sorted(wanted)),
            )
        )
    }
    plan = {
        pid: tuple(int(x) for x in row.positions)
        for pid, row in stored.items()
        if row.revision_number == wanted[pid].revision_number
    }
    missing = [p for p in personas if p.id not in plan]
    if not missing:
        return plan
    quarter = parse_quarter(checkin_round.quarter[:7])
    current = load_evidence(session, workspace_id, Period.single(quarter), now=now, rules=rules)
    recent = load_evidence(session, workspace_id, Period(quarter.previous(), quarter), now=now, rules=rules)
    since = wording_since(session, workspace_id, [p.id for p in missing])
    histories = rep_history(session, workspace_id, user_id, [p.id for p in missing])
    for persona in missing:
        texts = [(kind, str(text)) for kind, text in persona.attributes()]
        now_found, recent_found = current.persona(persona.id), recent.persona(persona.id)
        wording = {(kind, text): since.get((persona.id, kind, text), 0) for kind, text in texts}
        states = statement_states(
            texts,
            now_found.statements if now_found else (),
            recent_found.statements if recent_found else (),
            role,
            wording,
        )
        positions = select_statements(
            checkin_round.quarter,
            user_id,
            persona.id,
            states,
            history=histories.get(persona.id, NO_HISTORY),
            minimum=rules.coverage_min,
            cap=cap,
        )
        row = stored.get(persona.id)
        if row is not None:  # revised since it was chosen
            row.revision_number, row.positions, row.created_at = persona.revision_number, list(positions), now
            plan[persona.id] = positions
            continue
        session.execute(
            insert_ignore(session, CheckinQuestions).values(
                round_id=checkin_round.id,
                slack_user_id=user_id,
                persona_id=persona.id,
                revision_number=persona.revision_number,
                positions=list(positions),
                created_at=now,
            )
        )
        kept = session.scalar(
            select(CheckinQuestions.positions).where(
                CheckinQuestions.round_id == checkin_round.id,
                CheckinQuestions.slack_user_id == user_id,
                CheckinQuestions.persona_id == persona.id,
            )
        )
        plan[persona.id] = tuple(int(x) for x in (kept or positions))
    return plan
