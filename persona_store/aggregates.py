"""What the managers' report says, computed in SQL (GROUP BY on SQLite and PostgreSQL) into typed rows.

Every query is scoped by workspace. Feedback belongs to a quarter by its check-in round's label when it has a
round, else by the UTC date it was created. Raw records and free-text comments are read in pages by id
(keyset), so a caller can stream them without holding a long transaction or every record in memory.

The verdict rule lives here (a domain rule, with its thresholds as constants); words about it live in
templates.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, and_, case, distinct, func, literal, or_, select
from sqlalchemy.engine import Row
from sqlalchemy.orm import Session

from persona_store.models import (
    ATTRIBUTE_KINDS,
    AttributeCheck,
    CheckinRound,
    Feedback,
    Participation,
    Persona,
    PersonaStatus,
    RosterMember,
)
from persona_store.quarters import Period, Quarter, current_quarter, parse_quarter, quarter_of, quarters_between

# --- the verdict rule (stated at the top of the Summary sheet) -------------------------------------------------
FRONT_LINE_ROLES = ("sales", "success", "onboarding")
MIN_RATED_RESPONDENTS = 3  # fewer people rating a persona than this: not enough data
DISAGREEMENT_GAP = 1.0  # role means this far apart (or more): contested
MIN_RATINGS_PER_ROLE = 2  # a role's mean counts towards disagreement only with this many ratings
VALIDATED_MIN_MEAN = 4.0  # mean fit at least this …
VALIDATED_MIN_AGREEMENT = 0.70  # … and attribute agreement at least this (when attributes were checked)
PARTLY_WEIGHT = 0.5  # "partly" counts as half a match in the agreement share
DEFAULT_REVIEW_AFTER_DAYS = 182  # about six months without a revision: review overdue


class Verdict(StrEnum):
    VALIDATED = "validated"
    NEEDS_REVIEW = "needs review"
    CONTESTED = "contested"
    NOT_ENOUGH_DATA = "not enough data"


VERDICT_ORDER = (Verdict.VALIDATED, Verdict.CONTESTED, Verdict.NEEDS_REVIEW, Verdict.NOT_ENOUGH_DATA)
VERDICT_KEYS = ("matches", "partly", "doesnt", "not_seen")


def agreement_share(matches: int, partly: int, doesnt: int) -> float | None:
    """Share of people who had seen an attribute and said it holds ("partly" counts half); None if nobody had."""
    judged = matches + partly + doesnt
    if judged == 0:
        return None
    return (matches + PARTLY_WEIGHT * partly) / judged


def mean(total: float, count: int) -> float | None:
    return total / count if count else None


def decide_verdict(
    rated_respondents: int, mean_fit: float | None, agreement: float | None, disagreement: bool
) -> Verdict:
    """The rule, in order: not enough data, contested, validated, needs review."""
    if rated_respondents < MIN_RATED_RESPONDENTS or mean_fit is None:
        return Verdict.NOT_ENOUGH_DATA
    if disagreement:
        return Verdict.CONTESTED
    if mean_fit >= VALIDATED_MIN_MEAN and (agreement is None or agreement >= VALIDATED_MIN_AGREEMENT):
        return Verdict.VALIDATED
    return Verdict.NEEDS_REVIEW


def role_disagreement(role_stats: dict[str, RoleStats]) -> float | None:
    """The gap between the highest and lowest front-line role means that have enough ratings (None: < 2 roles)."""
    means = [
        s.mean_fit
        for role, s in role_stats.items()
        if role in FRONT_LINE_ROLES and s.ratings >= MIN_RATINGS_PER_ROLE and s.mean_fit is not None
    ]
    if len(means) < 2:
        return None
    return max(means) - min(means)


# --- rows out ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RoleStats:
    records: int = 0
    respondents: int = 0
    ratings: int = 0
    fit_sum: int = 0
    not_met: int = 0

    @property
    def mean_fit(self) -> float | None:
        return mean(self.fit_sum, self.ratings)


@dataclass(frozen=True)
class VerdictCounts:
    matches: int = 0
    partly: int = 0
    doesnt: int = 0
    not_seen: int = 0

    @property
    def agreement(self) -> float | None:
        return agreement_share(self.matches, self.partly, self.doesnt)

    @property
    def total(self) -> int:
        return self.matches + self.partly + self.doesnt + self.not_seen

    def plus(self, verdict: str, count: int) -> VerdictCounts:
        values = {k: getattr(self, k) for k in VERDICT_KEYS}
        values[verdict] = values.get(verdict, 0) + count
        return VerdictCounts(**values)

    def merged(self, other: VerdictCounts) -> VerdictCounts:
        return VerdictCounts(*(getattr(self, k) + getattr(other, k) for k in VERDICT_KEYS))


@dataclass(frozen=True)
class PersonaSummary:
    persona_id: int
    key: str
    name: str
    status: str
    revised_at: datetime
    review_overdue: bool
    records: int
    respondents: int
    rated_respondents: int
    ratings: int
    mean_fit: float | None
    previous_mean_fit: float | None
    not_met: int
    by_role: dict[str, RoleStats]
    attributes: VerdictCounts
    role_gap: float | None
    verdict: Verdict

    @property
    def delta(self) -> float | None:
        if self.mean_fit is None or self.previous_mean_fit is None:
            return None
        return self.mean_fit - self.previous_mean_fit

    @property
    def not_met_share(self) -> float | None:
        return self.not_met / self.records if self.records else None

    @property
    def disagreement(self) -> bool:
        return self.role_gap is not None and self.role_gap >= DISAGREEMENT_GAP

    def role_mean(self, role: str) -> float | None:
        stats = self.by_role.get(role)
        return stats.mean_fit if stats else None

    def role_respondents(self, role: str) -> int:
        stats = self.by_role.get(role)
        return stats.respondents if stats else 0


@dataclass(frozen=True)
class AttributeRow:
    persona_id: int
    persona_name: str
    kind: str
    text: str
    position: int
    by_role: dict[str, VerdictCounts]

    @property
    def total(self) -> VerdictCounts:
        result = VerdictCounts()
        for counts in self.by_role.values():
            result = result.merged(counts)
        return result


@dataclass(frozen=True)
class TrendRow:
    persona_id: int
    persona_name: str
    fit_sum: dict[str, int]  # quarter label -> sum of fits
    ratings: dict[str, int]  # quarter label -> number of fits

    def mean(self, label: str) -> float | None:
        return mean(self.fit_sum.get(label, 0), self.ratings.get(label, 0))


@dataclass(frozen=True)
class RepParticipation:
    slack_user_id: str
    name: str
    role: str
    assigned: int
    sent: int
    answered: int
    skipped: int
    skip_reasons: tuple[str, ...]
    reminders: int
    unreachable: int
    unreachable_reasons: tuple[str, ...]


@dataclass(frozen=True)
class RoleParticipation:
    role: str
    assigned: int
    answered: int
    skipped: int
    unreachable: int

    @property
    def response_rate(self) -> float | None:
        return self.answered / self.assigned if self.assigned else None


@dataclass(frozen=True)
class ReportData:
    """Everything the managers' workbook shows except the raw records and comments (those are paged)."""

    workspace_id: int
    period: Period
    previous_period: Period
    generated_at: datetime
    review_after_days: int
    personas: list[PersonaSummary]
    attributes: list[AttributeRow]
    trend_quarters: list[str]
    trend: list[TrendRow]
    reps: list[RepParticipation]
    roles: list[RoleParticipation]
    response_count: int
    comment_count: int
    rounds: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        """Nothing was said and nobody was asked in the period."""
        return self.response_count == 0 and not self.reps

    @property
    def verdict_counts(self) -> dict[Verdict, int]:
        counts = dict.fromkeys(VERDICT_ORDER, 0)
        for persona in self.personas:
            counts[persona.verdict] += 1
        return counts

    @property
    def response_rate(self) -> float | None:
        assigned = sum(r.assigned for r in self.roles)
        return sum(r.answered for r in self.roles) / assigned if assigned else None


# --- quarters in SQL ----------------------------------------------------------------------------------------------


def _quarter_label(quarters: Sequence[Quarter]) -> ColumnElement[Any]:
    """The feedback's quarter: its round's label, else the quarter (of those given) its created_at falls in."""
    by_date = case(
        *[((Feedback.created_at >= q.start_at) & (Feedback.created_at < q.end_at), literal(q.label)) for q in quarters],
        else_=None,
    )
    return func.coalesce(_round_quarter(), by_date)


def _round_quarter() -> ColumnElement[str]:
    """A round's quarter: its label's first 7 characters (rounds more often than quarterly are `2026-Q4.02` …)."""
    return func.substr(CheckinRound.quarter, 1, 7)


def _in_period(period: Period) -> ColumnElement[bool]:
    return or_(
        _round_quarter().in_(period.labels),
        and_(
            Feedback.round_id.is_(None),
            Feedback.created_at >= period.start_at,
            Feedback.created_at < period.end_at,
        ),
    )


_SelectT = TypeVar("_SelectT", bound=Select)  # any column tuple


def _feedback_in(select_: _SelectT, workspace_id: int, period: Period) -> _SelectT:
    return (
        select_.select_from(Feedback)
        .outerjoin(CheckinRound, Feedback.round_id == CheckinRound.id)
        .where(Feedback.workspace_id == workspace_id, _in_period(period))
    )


def quarters_on_record(session: Session, workspace_id: int) -> list[Quarter]:
    """Every quarter from the first to the last with feedback or a check-in round (empty when there are none).

    Feedback given in a round counts in the round's quarter, so only feedback outside rounds is dated.
    """
    first_at, last_at = session.execute(
        select(func.min(Feedback.created_at), func.max(Feedback.created_at)).where(
            Feedback.workspace_id == workspace_id, Feedback.round_id.is_(None)
        )
    ).one()
    found: list[Quarter] = []
    for moment in (first_at, last_at):
        if moment is not None:
            found.append(quarter_of(moment))
    labels = session.scalars(select(CheckinRound.quarter).distinct().where(CheckinRound.workspace_id == workspace_id))
    for label in labels:
        try:
            found.append(parse_quarter(label[:7]))
        except ValueError:
            continue
    if not found:
        return []
    return quarters_between(min(found), max(found))


def latest_period(session: Session, workspace_id: int, now: datetime | None = None) -> Period:
    """The latest quarter on record (a round or a piece of feedback), else the current one."""
    quarters = quarters_on_record(session, workspace_id)
    return Period.single(quarters[-1] if quarters else current_quarter(now))


# --- the aggregates ---------------------------------------------------------------------------------------------


def _role_stats(session: Session, workspace_id: int, period: Period) -> dict[int, dict[str, RoleStats]]:
    query = _feedback_in(
        select(
            Feedback.persona_id,
            Feedback.author_role,
            func.count(),
            func.count(distinct(Feedback.author_id)),
            func.count(Feedback.fit),
            func.coalesce(func.sum(Feedback.fit), 0),
            func.coalesce(func.sum(case((Feedback.not_met.is_(True), 1), else_=0)), 0),
        ),
        workspace_id,
        period,
    ).group_by(Feedback.persona_id, Feedback.author_role)
    result: dict[int, dict[str, RoleStats]] = defaultdict(dict)
    for persona_id, role, records, respondents, ratings, fit_sum, not_met in session.execute(query):
        result[persona_id][role] = RoleStats(int(records), int(respondents), int(ratings), int(fit_sum), int(not_met))
    return result


def _persona_totals(session: Session, workspace_id: int, period: Period) -> dict[int, tuple[int, int]]:
    """persona id -> (distinct respondents, distinct respondents who gave a fit rating)."""
    rated_author = case((Feedback.fit.is_not(None), Feedback.author_id), else_=None)
    query = _feedback_in(
        select(Feedback.persona_id, func.count(distinct(Feedback.author_id)), func.count(distinct(rated_author))),
        workspace_id,
        period,
    ).group_by(Feedback.persona_id)
    return {pid: (int(people), int(rated)) for pid, people, rated in session.execute(query)}


def _attribute_rows(session: Session, workspace_id: int, period: Period, names: dict[int, str]) -> list[AttributeRow]:
    query = (
        _feedback_in(
            select(
                Feedback.persona_id,
                AttributeCheck.kind,
                AttributeCheck.text,
                Feedback.author_role,
                AttributeCheck.verdict,
                func.count(),
                func.min(AttributeCheck.position),
            ),
            workspace_id,
            period,
        )
        .join(AttributeCheck, AttributeCheck.feedback_id == Feedback.id)
        .group_by(
            Feedback.persona_id, AttributeCheck.kind, AttributeCheck.text, Feedback.author_role, AttributeCheck.verdict
        )
    )
    grouped: dict[tuple[int, str, str], dict[str, VerdictCounts]] = defaultdict(dict)
    positions: dict[tuple[int, str, str], int] = {}
    for persona_id, kind, text, role, verdict, count, position in session.execute(query):
        key = (persona_id, kind, text)
        grouped[key][role] = grouped[key].get(role, VerdictCounts()).plus(verdict, int(count))
        positions[key] = min(positions.get(key, position), position)
    kind_order = {kind: i for i, kind in enumerate(ATTRIBUTE_KINDS)}
    rows = [
        AttributeRow(pid, names.get(pid, str(pid)), kind, text, positions[(pid, kind, text)], by_role)
        for (pid, kind, text), by_role in grouped.items()
    ]
    rows.sort(key=lambda r: (r.persona_name.casefold(), kind_order.get(r.kind, 99), r.position, r.text))
    return rows


def _trend(
    session: Session, workspace_id: int, quarters: Sequence[Quarter]
) -> dict[int, tuple[dict[str, int], dict[str, int]]]:
    """persona id -> ({quarter: fit sum}, {quarter: ratings}) over the given quarters."""
    if not quarters:
        return {}
    # A subquery so PostgreSQL groups by the computed label rather than re-rendering it with new parameters.
    labelled = (
        select(Feedback.persona_id.label("persona_id"), _quarter_label(quarters).label("quarter"), Feedback.fit)
        .select_from(Feedback)
        .outerjoin(CheckinRound, Feedback.round_id == CheckinRound.id)
        .where(Feedback.workspace_id == workspace_id, Feedback.fit.is_not(None))
        .subquery()
    )
    query = (
        select(labelled.c.persona_id, labelled.c.quarter, func.count(), func.sum(labelled.c.fit))
        .where(labelled.c.quarter.is_not(None))
        .group_by(labelled.c.persona_id, labelled.c.quarter)
    )
    result: dict[int, tuple[dict[str, int], dict[str, int]]] = defaultdict(lambda: ({}, {}))
    for persona_id, label, count, fit_sum in session.execute(query):
        sums, counts = result[persona_id]
        sums[label] = int(fit_sum or 0)
        counts[label] = int(count)
    return result


def _participation(session: Session, workspace_id: int, period: Period) -> list[RepParticipation]:
    scope = and_(CheckinRound.workspace_id == workspace_id, _round_quarter().in_(period.labels))
    counts = (
        select(
            Participation.slack_user_id,
            Participation.role,
            func.count(),
            func.count(Participation.sent_at),
            func.count(Participation.answered_at),
            func.count(Participation.skipped_at),
            func.coalesce(func.sum(Participation.reminder_count), 0),
            func.count(Participation.unreachable_at),
        )
        .join(CheckinRound, Participation.round_id == CheckinRound.id)
        .where(scope)
        .group_by(Participation.slack_user_id, Participation.role)
    )
    reasons: dict[tuple[str, str], list[str]] = defaultdict(list)
    for column, kind in ((Participation.skip_reason, "skip"), (Participation.unreachable_reason, "unreachable")):
        query = (
            select(Participation.slack_user_id, column, func.count())
            .join(CheckinRound, Participation.round_id == CheckinRound.id)
            .where(scope, column.is_not(None), column != "")
            .group_by(Participation.slack_user_id, column)
            .order_by(Participation.slack_user_id, column)
        )
        for user_id, reason, count in session.execute(query):
            reasons[(user_id, kind)].append(str(reason) if count == 1 else f"{reason} ×{count}")
    rows = list(session.execute(counts))
    names: dict[str, str] = {
        user_id: name
        for user_id, name in session.execute(
            select(RosterMember.slack_user_id, RosterMember.name).where(
                RosterMember.workspace_id == workspace_id,
                RosterMember.slack_user_id.in_({row[0] for row in rows}),
            )
        )
    }
    reps = [
        RepParticipation(
            slack_user_id=user_id,
            name=names.get(user_id, user_id),
            role=role,
            assigned=int(assigned),
            sent=int(sent),
            answered=int(answered),
            skipped=int(skipped),
            skip_reasons=tuple(reasons[(user_id, "skip")]),
            reminders=int(reminders),
            unreachable=int(unreachable),
            unreachable_reasons=tuple(reasons[(user_id, "unreachable")]),
        )
        for user_id, role, assigned, sent, answered, skipped, reminders, unreachable in rows
    ]
    reps.sort(key=lambda r: (r.role, r.name.casefold(), r.slack_user_id))
    return reps


def _roles(reps: Sequence[RepParticipation]) -> list[RoleParticipation]:
    totals: dict[str, list[int]] = {}
    for rep in reps:
        t = totals.setdefault(rep.role, [0, 0, 0, 0])
        t[0] += rep.assigned
        t[1] += rep.answered
        t[2] += rep.skipped
        t[3] += rep.unreachable
    return [RoleParticipation(role, *values) for role, values in sorted(totals.items())]


def _count_comments(session: Session, workspace_id: int, period: Period) -> int:
    has_text = [case((column != "", 1), else_=0) for column in (Feedback.missing_text, Feedback.objections_text)] + [
        case((or_(Feedback.evidence_ref != "", Feedback.evidence_permalink != ""), 1), else_=0)
    ]
    query = _feedback_in(
        select(func.coalesce(func.sum(has_text[0] + has_text[1] + has_text[2]), 0)), workspace_id, period
    )
    return int(session.scalar(query) or 0)


def count_responses(session: Session, workspace_id: int, period: Period) -> int:
    return int(session.scalar(_feedback_in(select(func.count()), workspace_id, period)) or 0)


def load_report(
    session: Session,
    workspace_id: int,
    period: Period,
    now: datetime,
    review_after_days: int = DEFAULT_REVIEW_AFTER_DAYS,
) -> ReportData:
    """The aggregates for `period`: a handful of GROUP BY queries, none of which loads individual records."""
    role_stats = _role_stats(session, workspace_id, period)
    totals = _persona_totals(session, workspace_id, period)
    personas = list(
        session.execute(
            select(Persona.id, Persona.key, Persona.name, Persona.status, Persona.revised_at)
            .where(
                Persona.workspace_id == workspace_id,
                or_(Persona.status == PersonaStatus.ACTIVE.value, Persona.id.in_(list(role_stats))),
            )
            .order_by(Persona.name)
        )
    )
    names = {row.id: row.name for row in personas}
    attributes = _attribute_rows(session, workspace_id, period, names)
    per_persona_attrs: dict[int, VerdictCounts] = defaultdict(VerdictCounts)
    for attr in attributes:
        per_persona_attrs[attr.persona_id] = per_persona_attrs[attr.persona_id].merged(attr.total)

    previous = period.previous()
    record = quarters_on_record(session, workspace_id)
    span = quarters_between(min([*record, previous.first]), max([*record, period.last]))
    trend_sums = _trend(session, workspace_id, span)
    overdue_before = now - timedelta(days=review_after_days)

    summaries: list[PersonaSummary] = []
    for row in personas:
        by_role = role_stats.get(row.id, {})
        respondents, rated = totals.get(row.id, (0, 0))
        ratings = sum(s.ratings for s in by_role.values())
        fit_sum = sum(s.fit_sum for s in by_role.values())
        sums, counts = trend_sums.get(row.id, ({}, {}))
        prev_sum = sum(sums.get(label, 0) for label in previous.labels)
        prev_count = sum(counts.get(label, 0) for label in previous.labels)
        mean_fit = mean(fit_sum, ratings)
        attrs = per_persona_attrs[row.id]
        gap = role_disagreement(by_role)
        disagreement = gap is not None and gap >= DISAGREEMENT_GAP
        summaries.append(
            PersonaSummary(
                persona_id=row.id,
                key=row.key,
                name=row.name,
                status=row.status,
                revised_at=row.revised_at,
                review_overdue=row.status == PersonaStatus.ACTIVE.value and row.revised_at < overdue_before,
                records=sum(s.records for s in by_role.values()),
                respondents=respondents,
                rated_respondents=rated,
                ratings=ratings,
                mean_fit=mean_fit,
                previous_mean_fit=mean(prev_sum, prev_count),
                not_met=sum(s.not_met for s in by_role.values()),
                by_role=by_role,
                attributes=attrs,
                role_gap=gap,
                verdict=decide_verdict(rated, mean_fit, attrs.agreement, disagreement),
            )
        )

    trend_labels = [q.label for q in record]
    trend = [
        TrendRow(row.id, row.name, *trend_sums.get(row.id, ({}, {})))
        for row in personas
        if any(trend_sums.get(row.id, ({}, {}))[1].get(label) for label in trend_labels)
    ]
    reps = _participation(session, workspace_id, period)
    rounds = list(
        session.scalars(
            select(CheckinRound.quarter)
            .where(CheckinRound.workspace_id == workspace_id, _round_quarter().in_(period.labels))
            .order_by(CheckinRound.quarter)
        )
    )
    return ReportData(
        workspace_id=workspace_id,
        period=period,
        previous_period=previous,
        generated_at=now,
        review_after_days=review_after_days,
        personas=summaries,
        attributes=attributes,
        trend_quarters=trend_labels,
        trend=trend,
        reps=reps,
        roles=_roles(reps),
        response_count=count_responses(session, workspace_id, period),
        comment_count=_count_comments(session, workspace_id, period),
        rounds=rounds,
    )


# --- raw records and comments, in pages ---------------------------------------------------------------------------

RESPONSE_COLUMNS = (
    "id",
    "created_at",
    "quarter",
    "persona",
    "revision_number",
    "author_name",
    "author_id",
    "author_role",
    "source",
    "fit",
    "not_met",
    "journey_stage",
    "matches",
    "partly",
    "doesnt",
    "not_seen",
    "missing_text",
    "objections_text",
    "evidence_ref",
    "evidence_permalink",
    "evidence_message",
)


def _page_ids(
    session: Session, workspace_id: int, period: Period, after_id: int, limit: int, extra: Sequence[Any] = ()
) -> list[int]:
    query = (
        _feedback_in(select(Feedback.id), workspace_id, period)
        .where(Feedback.id > after_id, *extra)
        .order_by(Feedback.id)
        .limit(limit)
    )
    return list(session.scalars(query))


def response_page(
    session: Session, workspace_id: int, period: Period, after_id: int = 0, limit: int = 2000
) -> list[Row[Any]]:
    """The next `limit` raw feedback records after `after_id`, oldest id first, as rows of RESPONSE_COLUMNS."""
    ids = _page_ids(session, workspace_id, period, after_id, limit)
    if not ids:
        return []
    upper = ids[-1]
    verdicts = (
        select(
            AttributeCheck.feedback_id.label("feedback_id"),
            *[
                func.sum(case((AttributeCheck.verdict == v, 1), else_=0)).label(v)
                for v in ("matches", "partly", "doesnt", "not_seen")
            ],
        )
        .where(AttributeCheck.feedback_id > after_id, AttributeCheck.feedback_id <= upper)
        .group_by(AttributeCheck.feedback_id)
        .subquery()
    )
    query = (
        _feedback_in(
            select(
                Feedback.id,
                Feedback.created_at,
                CheckinRound.quarter,
                Persona.name,
                Feedback.revision_number,
                RosterMember.name,
                Feedback.author_id,
                Feedback.author_role,
                Feedback.source,
                Feedback.fit,
                Feedback.not_met,
                Feedback.journey_stage,
                verdicts.c.matches,
                verdicts.c.partly,
                verdicts.c.doesnt,
                verdicts.c.not_seen,
                Feedback.missing_text,
                Feedback.objections_text,
                Feedback.evidence_ref,
                Feedback.evidence_permalink,
                Feedback.evidence_message,
            ),
            workspace_id,
            period,
        )
        .join(Persona, Persona.id == Feedback.persona_id)
        .outerjoin(
            RosterMember,
            and_(RosterMember.workspace_id == Feedback.workspace_id, RosterMember.slack_user_id == Feedback.author_id),
        )
        .outerjoin(verdicts, verdicts.c.feedback_id == Feedback.id)
        .where(Feedback.id > after_id, Feedback.id <= upper)
        .order_by(Feedback.id)
    )
    return list(session.execute(query))


@dataclass(frozen=True)
class Comment:
    feedback_id: int
    created_at: datetime
    quarter: str
    persona: str
    role: str
    author_id: str
    author_name: str
    kind: str  # missing | objection | evidence
    text: str
    link: str


def comment_page(
    session: Session, workspace_id: int, period: Period, after_id: int = 0, limit: int = 2000
) -> tuple[list[Comment], int | None]:
    """Free-text answers from the next `limit` records that have any, and the id to continue after (None: done)."""
    has_text = or_(
        Feedback.missing_text != "",
        Feedback.objections_text != "",
        Feedback.evidence_ref != "",
        Feedback.evidence_permalink != "",
    )
    ids = _page_ids(session, workspace_id, period, after_id, limit, extra=[has_text])
    if not ids:
        return [], None
    query = (
        _feedback_in(
            select(
                Feedback.id,
                Feedback.created_at,
                CheckinRound.quarter,
                Persona.name,
                Feedback.author_role,
                Feedback.author_id,
                RosterMember.name,
                Feedback.missing_text,
                Feedback.objections_text,
                Feedback.evidence_ref,
                Feedback.evidence_permalink,
            ),
            workspace_id,
            period,
        )
        .join(Persona, Persona.id == Feedback.persona_id)
        .outerjoin(
            RosterMember,
            and_(RosterMember.workspace_id == Feedback.workspace_id, RosterMember.slack_user_id == Feedback.author_id),
        )
        .where(Feedback.id > after_id, Feedback.id <= ids[-1], has_text)
        .order_by(Feedback.id)
    )
    comments: list[Comment] = []
    for (
        fid,
        created,
        round_quarter,
        persona,
        role,
        author_id,
        author_name,
        missing,
        objections,
        ref,
        link,
    ) in session.execute(query):
        quarter = round_quarter or quarter_of(created).label
        base = (fid, created, quarter, persona, role, author_id, author_name or author_id)
        if missing:
            comments.append(Comment(*base, "missing", missing, ""))
        if objections:
            comments.append(Comment(*base, "objection", objections, ""))
        if ref or link:
            comments.append(Comment(*base, "evidence", ref, link))
    return comments, ids[-1]
