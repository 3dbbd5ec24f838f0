"""The evidence model: every figure any surface shows about a persona, defined once and computed in SQL.

Surfaces (the persona card, App Home, the round summary, `checkin status`, the review digest, the report
headline and every workbook sheet) read these values and never compute a figure of their own. The words that
explain each rule to people live in `prompts/evidence.j2`; `RULES` below names them, and a test checks that each
rule's sentence here and there say the same thing.

The rules, each defined once. **Period**: feedback belongs to a quarter by its check-in round's label when it
has a round, else by the UTC date it was created; a period is one quarter or a run of consecutive quarters
(`persona_store.quarters`). The rest, in the words people read (macros of the same names in prompts/evidence.j2,
rendered here with the default thresholds; tests/bot/test_evidence_words.py checks they match):

* RULE_VIEW: One person, one vote: a person's view of a persona is their latest answer in the period, however
  they gave it (ad hoc, message shortcut or check-in; an edited answer counts from when it was edited), and each
  person counts once in every mean and every count.
* RULE_FIT: Fit is the mean of people's views on the 1–5 scale, with n, the number of people who rated, and a
  90 % interval: mean ± t × standard error (Student's t with n − 1 degrees of freedom; no interval from one
  person), so 4.0 from 3 people reads differently from 4.0 from 40.
* RULE_NOT_MET: Haven't met is the share of people whose view is that they haven't met this persona lately; it
  never counts in a mean.
* RULE_AGREEMENT: Statement agreement counts each person's latest verdict on a statement once:
  (matches + 0.5 × partly) ÷ the people who had seen it.
* RULE_RESPONSE_RATE: Response rate = answered ÷ (asked − skipped), where asked is everyone put on the check-in
  round; unreachable, silent and not-yet-sent reps count against it and are shown beside it.
* RULE_VERDICT: Verdict, in this order: not enough data when fewer than 3 people rated; contested when roles
  disagree; validated when the mean fit is 4.0 or more and statement agreement 70 % or more (the mean alone
  decides when no statement was checked); needs review otherwise.
* RULE_DISAGREEMENT: Roles disagree when the mean fit of two of Sales, Customer success and Onboarding differs by
  1.0 or more, counting only roles with at least 2 people (with anonymous ratings, at least the minimum group).
* RULE_CHANGE: Change is the period's mean fit minus the mean fit of the period of the same length just before
  it.
* RULE_REVIEW_DUE: Review due: an active persona with no review (Still accurate) and no revision for 182 days.
* RULE_LAST_VALIDATED: Last validated is the last day of the latest quarter whose verdict was validated (today,
  while that quarter is still running).
* RULE_MIN_GROUP: Minimum group: ratings are anonymous, so no figure is shown for a group of fewer than 3 people;
  it reads “fewer than 3 people”.
* RULE_FRESH_START: Fresh start: a reworded statement collects new evidence; verdicts given to its earlier wording
  stay in the history but no longer count towards its agreement.
* RULE_DISPUTED: Disputed: a statement someone said doesn't match, whose agreement is below 70 %; a role disputes it
  when the same holds for that role's own people (never a group below the minimum group). Once at least 3 people
  have judged it, its owner is offered a revision.
* RULE_COVERAGE: Coverage: a statement is covered in a role when at least 3 people in that role gave it a verdict in
  the period.

A person's "latest" answer is the one they saved last (`updated_at`, ties broken by the later record).

Every query is scoped to one workspace. "Latest per person" is a window function
(`ROW_NUMBER() OVER (PARTITION BY persona, person ORDER BY updated_at DESC, id DESC)`, the same on SQLite and
PostgreSQL); Python only combines a handful of aggregate rows per persona, never individual records.

To add a figure (deal outcomes, say): give it a frozen dataclass here, a rule constant with its words in
`prompts/evidence.j2`, a query that aggregates in SQL, and a field on `PersonaEvidence` or `Evidence`.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, literal, or_, select
from sqlalchemy.orm import Session

from persona_store.models import (
    ATTRIBUTE_KINDS,
    ROLES,
    AttributeCheck,
    CheckinRound,
    Feedback,
    Participation,
    Persona,
    PersonaRevision,
    PersonaStatus,
)
from persona_store.quarters import Period, Quarter, current_quarter, parse_quarter, quarter_of, quarters_between

# --- the rules' thresholds ----------------------------------------------------------------------------------------
FRONT_LINE_ROLES = ("sales", "success", "onboarding")
MIN_RATED_PEOPLE = 3  # fewer people rating a persona than this: not enough data
DISAGREEMENT_GAP = 1.0  # front-line role means this far apart (or more): contested
MIN_PEOPLE_PER_ROLE = 2  # a role's mean counts towards disagreement only with this many people
VALIDATED_MIN_MEAN = 4.0  # mean fit at least this …
VALIDATED_MIN_AGREEMENT = 0.70  # … and statement agreement at least this (when statements were checked)
PARTLY_WEIGHT = 0.5  # "partly" counts as half a match in the agreement share
DEFAULT_REVIEW_AFTER_DAYS = 182  # about six months without a review or a revision: review due
DEFAULT_MIN_GROUP_SIZE = 3  # with anonymous ratings, no figure for fewer people than this
INTERVAL_LEVEL = 0.90
DISPUTED_MIN_VIEWS = 3  # a disputed statement judged by this many people: its owner is offered a revision

# --- the rules, by name (their words for people are macros of the same name in prompts/evidence.j2) ------------
RULE_VIEW = "rule_view"
RULE_FIT = "rule_fit"
RULE_AGREEMENT = "rule_agreement"
RULE_RESPONSE_RATE = "rule_response_rate"
RULE_VERDICT = "rule_verdict"
RULE_DISAGREEMENT = "rule_disagreement"
RULE_CHANGE = "rule_change"
RULE_NOT_MET = "rule_not_met"
RULE_REVIEW_DUE = "rule_review_due"
RULE_LAST_VALIDATED = "rule_last_validated"
RULE_MIN_GROUP = "rule_min_group"
RULE_FRESH_START = "rule_fresh_start"
RULE_DISPUTED = "rule_disputed"
RULE_COVERAGE = "rule_coverage"
RULES = (
    RULE_VIEW,
    RULE_FIT,
    RULE_AGREEMENT,
    RULE_RESPONSE_RATE,
    RULE_VERDICT,
    RULE_DISAGREEMENT,
    RULE_CHANGE,
    RULE_NOT_MET,
    RULE_REVIEW_DUE,
    RULE_LAST_VALIDATED,
    RULE_MIN_GROUP,
    RULE_FRESH_START,
    RULE_DISPUTED,
    RULE_COVERAGE,
)


class Verdict(StrEnum):
    VALIDATED = "validated"
    NEEDS_REVIEW = "needs review"
    CONTESTED = "contested"
    NOT_ENOUGH_DATA = "not enough data"


VERDICT_ORDER = (Verdict.VALIDATED, Verdict.CONTESTED, Verdict.NEEDS_REVIEW, Verdict.NOT_ENOUGH_DATA)
# Worst first (the workbook's Summary, `/persona results`, the round summary's chart): this verdict order, then the
# lower fit, then the name; a fit not shown (none, or withheld by the minimum group) after every fit.
WORST_FIRST = (Verdict.NEEDS_REVIEW, Verdict.CONTESTED, Verdict.NOT_ENOUGH_DATA, Verdict.VALIDATED)
VERDICT_KEYS = ("matches", "partly", "doesnt", "not_seen")

# Student's t for a two-sided 90 % interval (the 95th percentile), by degrees of freedom.
_T90: tuple[float, ...] = (6.314, 2.920, 2.353, 2.132, 2.015, 1.943, 1.895, 1.860, 1.833, 1.812, 1.796, 1.782)
_T90 += (
    1.771,
    1.761,
    1.753,
    1.746,
    1.740,
    1.734,
    1.729,
    1.725,
    1.721,
    1.717,
    1.714,
    1.711,
    1.708,
    1.706,
    1.703,
    1.701,
    1.699,
    1.697,
)


def t90(degrees_of_freedom: int) -> float:
    """The t multiplier of a two-sided 90 % interval (1.645, the normal one, from 120 degrees of freedom on)."""
    if degrees_of_freedom < 1:
        raise ValueError("an interval needs at least two people")
    if degrees_of_freedom <= len(_T90):
        return _T90[degrees_of_freedom - 1]
    if degrees_of_freedom <= 40:
        return 1.684
    if degrees_of_freedom <= 60:
        return 1.671
    return 1.658 if degrees_of_freedom < 120 else 1.645


# --- values out ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EvidenceRules:
    """The settings the figures depend on. `min_group` is MIN_GROUP_SIZE with anonymous ratings, else 1."""

    review_after_days: int = DEFAULT_REVIEW_AFTER_DAYS
    min_group: int = 1
    # RULE_COVERAGE: the views per role a statement needs in a period (MIN_GROUP_SIZE, anonymous or not)
    coverage_min: int = DEFAULT_MIN_GROUP_SIZE

    @classmethod
    def of(cls, review_after_days: int, anonymous: bool, min_group_size: int = DEFAULT_MIN_GROUP_SIZE) -> EvidenceRules:
        return cls(review_after_days, max(1, min_group_size) if anonymous else 1, max(1, min_group_size))


@dataclass(frozen=True)
class Fit:
    """Fit (RULE_FIT): the mean of people's views, `n` people, a 90 % interval (mean ± `margin`).

    `suppressed` is true when fewer people than the minimum group rated (RULE_MIN_GROUP): mean and interval
    are then withheld (None) and surfaces say "fewer than N people" instead.
    """

    mean: float | None = None
    n: int = 0
    stderr: float | None = None
    suppressed: bool = False

    @classmethod
    def of(cls, n: int, total: float, squares: float, min_group: int = 1) -> Fit:
        if n == 0:
            return cls()
        if n < min_group:
            return cls(None, n, None, True)
        mean = total / n
        stderr = None
        if n >= 2:
            variance = max(0.0, (squares - total * total / n) / (n - 1))
            stderr = math.sqrt(variance / n)
        return cls(mean, n, stderr)

    @property
    def margin(self) -> float | None:
        """Half the width of the 90 % interval (None from fewer than two people)."""
        if self.stderr is None or self.n < 2:
            return None
        return t90(self.n - 1) * self.stderr

    @property
    def interval(self) -> tuple[float, float] | None:
        """The 90 % interval, kept within the 1–5 scale."""
        if self.mean is None or self.margin is None:
            return None
        return max(1.0, self.mean - self.margin), min(5.0, self.mean + self.margin)

    @property
    def shown(self) -> bool:
        """There is a mean to show (somebody rated, and enough people for the minimum group)."""
        return self.mean is not None


@dataclass(frozen=True)
class VerdictCounts:
    """How many people's latest verdict on a statement was each answer (RULE_AGREEMENT)."""

    matches: int = 0
    partly: int = 0
    doesnt: int = 0
    not_seen: int = 0

    @property
    def judged(self) -> int:
        """People who had seen the statement (matches + partly + doesn't)."""
        return self.matches + self.partly + self.doesnt

    @property
    def total(self) -> int:
        return self.judged + self.not_seen

    @property
    def agreement(self) -> float | None:
        return agreement_share(self.matches, self.partly, self.doesnt)

    def plus(self, verdict: str, count: int) -> VerdictCounts:
        values = {k: getattr(self, k) for k in VERDICT_KEYS}
        if verdict in values:
            values[verdict] += count
        return VerdictCounts(**values)

    def merged(self, other: VerdictCounts) -> VerdictCounts:
        return VerdictCounts(*(getattr(self, k) + getattr(other, k) for k in VERDICT_KEYS))


@dataclass(frozen=True)
class StatementAgreement:
    """One statement (goal, pain point, objection) of a persona: people's latest verdicts, overall and per role.

    `suppressed` (overall) and `suppressed_roles` list what the minimum group hides: fewer people than
    `min_group` gave a verdict. Suppressed counts must not be shown; `agreement` is then None.
    """

    persona_id: int
    kind: str
    text: str
    position: int
    counts: VerdictCounts
    by_role: Mapping[str, VerdictCounts]
    suppressed: bool = False
    suppressed_roles: frozenset[str] = frozenset()
    # RULE_FRESH_START: `current` — the persona reads this wording today; `earlier` — people whose latest verdict on
    # this text was given before its current wording began (a rewording back to old words): history, never counted.
    current: bool = True
    earlier: VerdictCounts = VerdictCounts()
    since_revision: int = 0  # the persona revision this wording first appeared in (unbroken since)

    @property
    def agreement(self) -> float | None:
        return None if self.suppressed else self.counts.agreement

    def role_agreement(self, role: str) -> float | None:
        counts = self.by_role.get(role)
        return None if counts is None or role in self.suppressed_roles else counts.agreement

    @property
    def disputed(self) -> bool:
        """RULE_DISPUTED: the current wording, shown (not withheld), disputed by the people who judged it."""
        return self.current and not self.suppressed and is_disputed(self.counts)

    @property
    def revisable(self) -> bool:
        """RULE_DISPUTED: disputed, and judged by DISPUTED_MIN_VIEWS people or more: its owner is offered a revision."""
        return self.disputed and self.counts.judged >= DISPUTED_MIN_VIEWS

    @property
    def disputed_by(self) -> tuple[str, ...]:
        """The roles whose own people dispute it (front-line roles first; withheld groups never named)."""
        found = [r for r, c in self.by_role.items() if r not in self.suppressed_roles and is_disputed(c)]
        order = {role: i for i, role in enumerate(FRONT_LINE_ROLES)}
        return tuple(sorted(found, key=lambda r: (order.get(r, len(order)), r)))


@dataclass(frozen=True)
class RoleEvidence:
    """One role's part in a persona's evidence: the people whose view was given in that role, and their fit."""

    role: str
    people: int
    fit: Fit
    not_met: int

    @property
    def suppressed(self) -> bool:
        return self.fit.suppressed


@dataclass(frozen=True, eq=False)
class PersonaEvidence:
    """Everything shown about one persona for one period. Each field follows the rule named beside it.

    Compared and hashed by identity (each load makes new values), so a card holding one can key a render cache.
    """

    persona_id: int
    key: str
    name: str
    status: str
    owner: str | None
    period: Period
    people: int  # people with a view in the period (rated or haven't met)        RULE_VIEW
    fit: Fit  # RULE_FIT
    not_met: int  # people whose view is "haven't met"                            RULE_NOT_MET
    by_role: Mapping[str, RoleEvidence]  # roles in a stable order
    statements: tuple[StatementAgreement, ...]  # RULE_AGREEMENT
    agreement: float | None  # pooled over every statement (people's verdicts)    RULE_AGREEMENT
    role_gap: float | None  # RULE_DISAGREEMENT
    verdict: Verdict  # RULE_VERDICT
    previous: Fit  # the same figure for the previous period of the same length   RULE_CHANGE
    sources: Mapping[str, int]  # views by how they were given: adhoc, shortcut, checkin
    last_reviewed_at: datetime  # the later of the last review and the last revision
    review_due: bool  # RULE_REVIEW_DUE
    last_validated: date | None  # RULE_LAST_VALIDATED
    last_validated_quarter: str | None
    trend: Mapping[str, Fit] = field(default_factory=dict)  # quarter label -> fit, quarters on record
    min_group: int = 1
    previous_verdict: Verdict | None = None  # RULE_VERDICT for the previous period (None: nobody had a view)

    @property
    def delta(self) -> float | None:
        """RULE_CHANGE: this period's mean minus the previous period's (None when either has none)."""
        if self.fit.mean is None or self.previous.mean is None:
            return None
        return self.fit.mean - self.previous.mean

    @property
    def previous_label(self) -> str:
        return self.period.previous().label

    @property
    def not_met_share(self) -> float | None:
        """RULE_NOT_MET: people who haven't met the persona ÷ people with a view (withheld below the minimum group)."""
        if not self.people or self.people < self.min_group:
            return None
        return self.not_met / self.people

    @property
    def disagreement(self) -> bool:
        return self.role_gap is not None and self.role_gap >= DISAGREEMENT_GAP

    @property
    def weakest(self) -> StatementAgreement | None:
        """The statement most people said doesn't match (ties: the lower agreement, then the earlier statement)."""
        shown = [s for s in self.statements if not s.suppressed and s.counts.doesnt]
        if not shown:
            return None
        return min(shown, key=lambda s: (-s.counts.doesnt, s.counts.agreement or 0.0, s.position))

    @property
    def disputed(self) -> tuple[StatementAgreement, ...]:
        """RULE_DISPUTED: the statements to propose a revision of, most disputed first: least agreement, then most
        "doesn't match", then their order on the persona."""
        found = [s for s in self.statements if s.disputed]
        return tuple(sorted(found, key=lambda s: (s.counts.agreement or 0.0, -s.counts.doesnt, s.position)))

    @property
    def most_disputed(self) -> StatementAgreement | None:
        return self.disputed[0] if self.disputed else None

    def disputed_by_role(self) -> dict[str, int]:
        """Role -> how many statements that role's people dispute (roles in the order of `disputed_by`)."""
        counts: dict[str, int] = {}
        for statement in self.disputed:
            for role in statement.disputed_by:
                counts[role] = counts.get(role, 0) + 1
        order = {role: i for i, role in enumerate(FRONT_LINE_ROLES)}
        return dict(sorted(counts.items(), key=lambda kv: (order.get(kv[0], len(order)), kv[0])))

    @property
    def verdict_changed(self) -> bool:
        """The previous period had a verdict on record and this period's differs from it."""
        return self.previous_verdict is not None and self.previous_verdict is not self.verdict

    def role(self, role: str) -> RoleEvidence | None:
        return self.by_role.get(role)

    def role_fit(self, role: str) -> Fit:
        found = self.by_role.get(role)
        return found.fit if found else Fit()

    def role_people(self, role: str) -> int:
        found = self.by_role.get(role)
        return found.people if found else 0


@dataclass(frozen=True)
class ResponseRate:
    """RULE_RESPONSE_RATE for one role (or all, `role` None): answered ÷ (asked − skipped).

    Each rep on the round is exactly one of answered, skipped, unreachable, silent (asked, no answer yet) or
    waiting (not sent yet), in that order of precedence; `sent` and `reminded` are counted beside them.
    """

    role: str | None
    asked: int = 0
    answered: int = 0
    skipped: int = 0
    unreachable: int = 0
    silent: int = 0
    waiting: int = 0
    sent: int = 0
    reminded: int = 0
    skip_reasons: Mapping[str, int] = field(default_factory=dict)

    @property
    def expected(self) -> int:
        """The denominator: asked − skipped."""
        return self.asked - self.skipped

    @property
    def rate(self) -> float | None:
        return self.answered / self.expected if self.expected > 0 else None

    def merged(self, other: ResponseRate, role: str | None = None) -> ResponseRate:
        reasons = dict(self.skip_reasons)
        for reason, count in other.skip_reasons.items():
            reasons[reason] = reasons.get(reason, 0) + count
        names = ("asked", "answered", "skipped", "unreachable", "silent", "waiting", "sent", "reminded")
        sums = {name: getattr(self, name) + getattr(other, name) for name in names}
        return ResponseRate(role, **sums, skip_reasons=dict(sorted(reasons.items())))


@dataclass(frozen=True)
class ParticipationEvidence:
    """Who was asked in the period's check-in rounds and how they answered, per role and in total."""

    period: Period
    rounds: tuple[str, ...]
    by_role: Mapping[str, ResponseRate]
    total: ResponseRate

    @property
    def asked_anyone(self) -> bool:
        return self.total.asked > 0


@dataclass(frozen=True)
class Evidence:
    """The figures for one workspace and period: every persona on record, participation, and the trend's quarters."""

    workspace_id: int
    period: Period
    previous_period: Period
    now: datetime
    rules: EvidenceRules
    personas: tuple[PersonaEvidence, ...]
    participation: ParticipationEvidence
    trend_quarters: tuple[str, ...]
    views: int  # people's views in the period, summed over personas

    @property
    def verdict_counts(self) -> dict[Verdict, int]:
        counts = dict.fromkeys(VERDICT_ORDER, 0)
        for persona in self.personas:
            counts[persona.verdict] += 1
        return counts

    def persona(self, persona_id: int) -> PersonaEvidence | None:
        return next((p for p in self.personas if p.persona_id == persona_id), None)

    def named(self, name: str) -> PersonaEvidence | None:
        return next((p for p in self.personas if p.name == name), None)

    @property
    def active(self) -> tuple[PersonaEvidence, ...]:
        return tuple(p for p in self.personas if p.status == PersonaStatus.ACTIVE.value)


# --- the rules as functions ---------------------------------------------------------------------------------------


def agreement_share(matches: int, partly: int, doesnt: int) -> float | None:
    """RULE_AGREEMENT: (matches + PARTLY_WEIGHT × partly) ÷ people who had seen it; None if nobody had."""
    judged = matches + partly + doesnt
    if judged == 0:
        return None
    return (matches + PARTLY_WEIGHT * partly) / judged


def worst_first(p: PersonaEvidence) -> tuple[int, float, str]:
    """The sort key of WORST_FIRST."""
    fit = p.fit.mean if p.fit.mean is not None and not p.fit.suppressed else math.inf
    return (WORST_FIRST.index(p.verdict), fit, p.name.casefold())


def is_disputed(counts: VerdictCounts) -> bool:
    """RULE_DISPUTED for one group's verdicts: somebody said the statement doesn't match, and agreement is below
    VALIDATED_MIN_AGREEMENT."""
    agreement = counts.agreement
    return counts.doesnt > 0 and agreement is not None and agreement < VALIDATED_MIN_AGREEMENT


def decide_verdict(rated_people: int, mean_fit: float | None, agreement: float | None, disagreement: bool) -> Verdict:
    """RULE_VERDICT, in order: not enough data, contested, validated, needs review (all counted over people)."""
    if rated_people < MIN_RATED_PEOPLE or mean_fit is None:
        return Verdict.NOT_ENOUGH_DATA
    if disagreement:
        return Verdict.CONTESTED
    if mean_fit >= VALIDATED_MIN_MEAN and (agreement is None or agreement >= VALIDATED_MIN_AGREEMENT):
        return Verdict.VALIDATED
    return Verdict.NEEDS_REVIEW


def role_gap(role_fits: Mapping[str, Fit], min_people: int = MIN_PEOPLE_PER_ROLE) -> float | None:
    """RULE_DISAGREEMENT: highest minus lowest front-line role mean among roles with `min_people` raters or more."""
    means = [
        fit.mean
        for role, fit in role_fits.items()
        if role in FRONT_LINE_ROLES and fit.n >= min_people and fit.mean is not None
    ]
    if len(means) < 2:
        return None
    return max(means) - min(means)


def last_reviewed(reviewed_at: datetime, revised_at: datetime) -> datetime:
    """RULE_REVIEW_DUE's clock: the later of the last review (Still accurate, edited, retired) and the last revision."""
    return max(reviewed_at, revised_at)


def last_reviewed_column() -> ColumnElement[datetime]:
    """`last_reviewed` in SQL (portable: no GREATEST on SQLite)."""
    return case((Persona.revised_at > Persona.reviewed_at, Persona.revised_at), else_=Persona.reviewed_at)


def review_due_before(now: datetime, review_after_days: int) -> datetime:
    """RULE_REVIEW_DUE: a persona last reviewed at or before this moment is due."""
    return now - timedelta(days=review_after_days)


def is_review_due(status: str, reviewed_at: datetime, revised_at: datetime, now: datetime, after_days: int) -> bool:
    """RULE_REVIEW_DUE: an active persona with no review and no revision for `after_days` days."""
    return status == PersonaStatus.ACTIVE.value and last_reviewed(reviewed_at, revised_at) <= review_due_before(
        now, after_days
    )


def review_due_clause(now: datetime, review_after_days: int) -> ColumnElement[bool]:
    """RULE_REVIEW_DUE as a WHERE clause on Persona (the queries that list due reviews use it)."""
    return and_(
        Persona.status == PersonaStatus.ACTIVE.value,
        last_reviewed_column() <= review_due_before(now, review_after_days),
    )


def period_end_day(quarter: Quarter, now: datetime) -> date:
    """The last day of a quarter, or today while it is still running (RULE_LAST_VALIDATED)."""
    return min(quarter.end - timedelta(days=1), now.date())


# --- periods in SQL -----------------------------------------------------------------------------------------------


def _latest_first(labelled: Any, person: list[Any], bucket: str | None, quarters: Sequence[Quarter]) -> Any:
    """RULE_VIEW in SQL: rank each person's answers (per `person` key, and per quarter unless the period is one
    bucket) newest first, so `rn = 1` is the view that counts. Used for fit views and for statement verdicts."""
    partition = list(person)
    if bucket is None:
        partition.append(labelled.c.quarter)
    return (
        select(
            labelled,
            func.row_number()
            .over(partition_by=partition, order_by=[labelled.c.updated_at.desc(), labelled.c.id.desc()])
            .label("rn"),
        )
        .where(labelled.c.quarter.in_([q.label for q in quarters]))
        .subquery()
    )


def _labelled_feedback(
    quarters: Sequence[Quarter], scope: list[ColumnElement[bool]], *extra: Any, checks: bool = False
) -> Any:
    """The feedback `_latest_first` ranks: who answered, when, in which quarter, with the `extra` columns;
    `checks`: one row per statement verdict (joined to AttributeCheck)."""
    query = select(
        Feedback.id.label("id"),
        Feedback.persona_id.label("persona_id"),
        Feedback.author_id.label("author_id"),
        Feedback.author_role.label("role"),
        Feedback.updated_at.label("updated_at"),
        *extra,
        _quarter_label(quarters).label("quarter"),
    ).select_from(Feedback)
    if checks:
        query = query.join(AttributeCheck, AttributeCheck.feedback_id == Feedback.id)
    return query.outerjoin(CheckinRound, Feedback.round_id == CheckinRound.id).where(*scope).subquery()


def _grouped(ranked: Any, bucket: str | None, *columns: Any) -> list[Any]:
    """GROUP BY persona, then its quarter (unless the period is one bucket), then `columns`."""
    quarter = [ranked.c.quarter] if bucket is None else []
    return [ranked.c.persona_id, *quarter, *columns]


def _bucket_key(row: tuple[Any, ...], bucket: str | None) -> tuple[_Key, tuple[Any, ...]]:
    """A `_grouped` row's (persona, bucket) key, and the rest of the row."""
    if bucket is None:
        return (int(row[0]), str(row[1])), row[2:]
    return (int(row[0]), bucket), row[1:]


def round_quarter() -> ColumnElement[str]:
    """A round's quarter: its label's first 7 characters (rounds more often than quarterly are `2026-Q4.02` …)."""
    return func.substr(CheckinRound.quarter, 1, 7)


def _quarter_label(quarters: Sequence[Quarter]) -> ColumnElement[Any]:
    """The feedback's quarter: its round's label, else the quarter (of those given) its created_at falls in."""
    by_date = case(
        *[((Feedback.created_at >= q.start_at) & (Feedback.created_at < q.end_at), literal(q.label)) for q in quarters],
        else_=None,
    )
    return func.coalesce(round_quarter(), by_date)


def in_period(period: Period) -> ColumnElement[bool]:
    """Feedback (joined to its round, outer) that belongs to `period` by the period rule."""
    return or_(
        round_quarter().in_(period.labels),
        and_(
            Feedback.round_id.is_(None),
            Feedback.created_at >= period.start_at,
            Feedback.created_at < period.end_at,
        ),
    )


def quarters_on_record(session: Session, workspace_id: int) -> list[Quarter]:
    """Every quarter from the first to the last with feedback or a check-in round (empty when there are none)."""
    first_at, last_at = session.execute(
        select(func.min(Feedback.created_at), func.max(Feedback.created_at)).where(
            Feedback.workspace_id == workspace_id, Feedback.round_id.is_(None)
        )
    ).one()
    found: list[Quarter] = [quarter_of(moment) for moment in (first_at, last_at) if moment is not None]
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


# --- the aggregate queries ----------------------------------------------------------------------------------------

_Key = tuple[int, str]  # (persona id, bucket: a quarter label, or the period's label)


@dataclass
class _RoleSums:
    people: int = 0
    rated: int = 0
    total: float = 0.0
    squares: float = 0.0
    not_met: int = 0


def _view_sums(
    session: Session,
    workspace_id: int,
    quarters: Sequence[Quarter],
    bucket: str | None,
    persona_id: int | None,
) -> tuple[dict[_Key, dict[str, _RoleSums]], dict[_Key, dict[str, int]]]:
    """People's views, summed per (persona, bucket, role), and counted per source.

    `bucket` None: one bucket per quarter (a person has a view in each quarter); else every quarter given is one
    bucket of that name (a person has one view over all of them).
    """
    if not quarters:
        return {}, {}
    scope = [Feedback.workspace_id == workspace_id]
    if persona_id is not None:
        scope.append(Feedback.persona_id == persona_id)
    labelled = _labelled_feedback(
        quarters,
        scope,
        Feedback.source.label("source"),
        Feedback.fit.label("fit"),
        case((Feedback.not_met.is_(True), 1), else_=0).label("not_met"),
    )
    ranked = _latest_first(labelled, [labelled.c.persona_id, labelled.c.author_id], bucket, quarters)
    group = _grouped(ranked, bucket, ranked.c.role, ranked.c.source)
    query = (
        select(
            *group,
            func.count(),
            func.count(ranked.c.fit),
            func.coalesce(func.sum(ranked.c.fit), 0),
            func.coalesce(func.sum(ranked.c.fit * ranked.c.fit), 0),
            func.coalesce(func.sum(ranked.c.not_met), 0),
        )
        .where(ranked.c.rn == 1)
        .group_by(*group)
    )
    sums: dict[_Key, dict[str, _RoleSums]] = defaultdict(dict)
    sources: dict[_Key, dict[str, int]] = defaultdict(dict)
    for row in session.execute(query):
        key, (role, source, people, rated, total, squares, not_met) = _bucket_key(tuple(row), bucket)
        found = sums[key].setdefault(str(role), _RoleSums())
        found.people += int(people)
        found.rated += int(rated)
        found.total += float(total)
        found.squares += float(squares)
        found.not_met += int(not_met)
        sources[key][str(source)] = sources[key].get(str(source), 0) + int(people)
    return sums, sources


_StatementKey = tuple[str, str]  # (kind, text)


@dataclass
class _StatementSums:
    position: int
    by_role: dict[str, VerdictCounts] = field(default_factory=dict)
    earlier: VerdictCounts = field(default_factory=VerdictCounts)


_WordingKey = tuple[int, str, str]  # (persona id, kind, text)


def wording_since(
    session: Session, workspace_id: int, persona_ids: Collection[int] | None = None
) -> dict[_WordingKey, int]:
    """RULE_FRESH_START: for each statement a persona reads today, the revision its wording first appeared in
    (unbroken since). Verdicts answered against an older revision belong to an earlier wording of the same words.

    Only personas revised more than once need their snapshots read: a persona's first revision introduced all of
    its statements.
    """
    query = select(Persona.id, Persona.revision_number, Persona.goals, Persona.pain_points, Persona.objections).where(
        Persona.workspace_id == workspace_id
    )
    if persona_ids is not None:
        if not persona_ids:
            return {}
        query = query.where(Persona.id.in_(sorted(persona_ids)))
    result: dict[_WordingKey, int] = {}
    revised: dict[int, tuple[int, list[tuple[str, str]]]] = {}
    for pid, number, goals, pains, objections in session.execute(query):
        statements = _kinds_and_texts(goals, pains, objections)
        for kind, text in statements:
            result[(int(pid), kind, text)] = 0
        if int(number or 0) > 1 and statements:
            revised[int(pid)] = (int(number), statements)
    if not revised:
        return result
    snapshots: dict[int, dict[int, set[tuple[str, str]]]] = defaultdict(dict)
    for pid, number, snapshot in session.execute(
        select(PersonaRevision.persona_id, PersonaRevision.number, PersonaRevision.snapshot).where(
            PersonaRevision.persona_id.in_(sorted(revised))
        )
    ):
        data = snapshot or {}
        snapshots[int(pid)][int(number)] = set(
            _kinds_and_texts(data.get("goals"), data.get("pain_points"), data.get("objections"))
        )
    for pid, (number, statements) in revised.items():
        known = snapshots.get(pid, {})
        for statement in statements:
            since = number
            while since - 1 in known and statement in known[since - 1]:
                since -= 1
            # an unbroken run back to the first revision (or to a snapshot we lack) counts every verdict
            result[(pid, *statement)] = since if since - 1 in known else 0
    return result


def _kinds_and_texts(goals: Any, pains: Any, objections: Any) -> list[tuple[str, str]]:
    return [
        (kind, str(text))
        for kind, texts in zip(ATTRIBUTE_KINDS, (goals, pains, objections), strict=True)
        for text in texts or ()
    ]


def _statement_sums(
    session: Session,
    workspace_id: int,
    quarters: Sequence[Quarter],
    bucket: str | None,
    persona_ids: Collection[int] | None,
    since: Mapping[_WordingKey, int] | None = None,
) -> dict[_Key, dict[_StatementKey, _StatementSums]]:
    """People's latest verdict on each statement, counted per (persona, bucket, statement, role, verdict);
    `persona_ids` None: every persona. A latest verdict answered against a revision older than the wording's
    `since` (RULE_FRESH_START) is kept apart as `earlier`, never counted."""
    if not quarters or (persona_ids is not None and not persona_ids):
        return {}
    since = since or {}
    scope = [Feedback.workspace_id == workspace_id]
    if persona_ids is not None:
        scope.append(Feedback.persona_id.in_(sorted(persona_ids)))
    labelled = _labelled_feedback(
        quarters,
        scope,
        AttributeCheck.kind.label("kind"),
        AttributeCheck.text.label("text"),
        AttributeCheck.verdict.label("verdict"),
        AttributeCheck.position.label("position"),
        Feedback.revision_number.label("revision"),
        checks=True,
    )
    person = [labelled.c.persona_id, labelled.c.kind, labelled.c.text, labelled.c.author_id]
    ranked = _latest_first(labelled, person, bucket, quarters)
    group = _grouped(ranked, bucket, ranked.c.kind, ranked.c.text, ranked.c.role, ranked.c.verdict, ranked.c.revision)
    query = select(*group, func.count(), func.min(ranked.c.position)).where(ranked.c.rn == 1).group_by(*group)
    result: dict[_Key, dict[_StatementKey, _StatementSums]] = defaultdict(dict)
    for row in session.execute(query):
        key, (kind, text, role, verdict, revision, count, position) = _bucket_key(tuple(row), bucket)
        statements = result[key]
        found = statements.setdefault((str(kind), str(text)), _StatementSums(int(position)))
        if int(revision or 0) < since.get((key[0], str(kind), str(text)), 0):
            found.earlier = found.earlier.plus(str(verdict), int(count))
            continue
        found.position = min(found.position, int(position))
        found.by_role[str(role)] = found.by_role.get(str(role), VerdictCounts()).plus(str(verdict), int(count))
    return result


def participation(session: Session, workspace_id: int, period: Period) -> ParticipationEvidence:
    """RULE_RESPONSE_RATE for the period's check-in rounds, per role and in total (one GROUP BY)."""
    state = case(
        (Participation.answered_at.is_not(None), literal("answered")),
        (Participation.skipped_at.is_not(None), literal("skipped")),
        (Participation.unreachable_at.is_not(None), literal("unreachable")),
        (Participation.sent_at.is_not(None), literal("silent")),
        else_=literal("waiting"),
    )
    labelled = (
        select(
            Participation.role.label("role"),
            state.label("state"),
            Participation.skip_reason.label("reason"),
            case((Participation.sent_at.is_not(None), 1), else_=0).label("sent"),
            case((Participation.reminder_count > 0, 1), else_=0).label("reminded"),
        )
        .join(CheckinRound, Participation.round_id == CheckinRound.id)
        .where(CheckinRound.workspace_id == workspace_id, round_quarter().in_(period.labels))
        .subquery()
    )
    query = select(
        labelled.c.role,
        labelled.c.state,
        labelled.c.reason,
        func.count(),
        func.coalesce(func.sum(labelled.c.sent), 0),
        func.coalesce(func.sum(labelled.c.reminded), 0),
    ).group_by(labelled.c.role, labelled.c.state, labelled.c.reason)
    counts: dict[str, dict[str, Any]] = {}
    for role, state_name, reason, count, sent, reminded in session.execute(query):
        found = counts.setdefault(str(role), defaultdict(int, reasons={}))
        found["asked"] += int(count)
        found[str(state_name)] += int(count)
        found["sent"] += int(sent)
        found["reminded"] += int(reminded)
        if state_name == "skipped":
            key = str(reason or "other")
            found["reasons"][key] = found["reasons"].get(key, 0) + int(count)
    by_role = {
        role: ResponseRate(
            role,
            asked=c["asked"],
            answered=c["answered"],
            skipped=c["skipped"],
            unreachable=c["unreachable"],
            silent=c["silent"],
            waiting=c["waiting"],
            sent=c["sent"],
            reminded=c["reminded"],
            skip_reasons=dict(sorted(c["reasons"].items())),
        )
        for role, c in sorted(counts.items())
    }
    total = ResponseRate(None)
    for rate in by_role.values():
        total = total.merged(rate)
    rounds = tuple(
        session.scalars(
            select(CheckinRound.quarter)
            .where(CheckinRound.workspace_id == workspace_id, round_quarter().in_(period.labels))
            .order_by(CheckinRound.quarter)
        )
    )
    return ParticipationEvidence(period, rounds, by_role, total)


# --- putting it together ------------------------------------------------------------------------------------------


def _role_evidence(sums: Mapping[str, _RoleSums], min_group: int) -> dict[str, RoleEvidence]:
    return {
        role: RoleEvidence(role, s.people, Fit.of(s.rated, s.total, s.squares, min_group), s.not_met)
        for role, s in sorted(sums.items())
    }


def _overall(sums: Mapping[str, _RoleSums], min_group: int) -> tuple[int, Fit, int]:
    people = sum(s.people for s in sums.values())
    rated = sum(s.rated for s in sums.values())
    total = sum(s.total for s in sums.values())
    squares = sum(s.squares for s in sums.values())
    return people, Fit.of(rated, total, squares, min_group), sum(s.not_met for s in sums.values())


def _statements(
    persona_id: int,
    found: Mapping[_StatementKey, _StatementSums],
    min_group: int,
    since: Mapping[_WordingKey, int] | None = None,
) -> tuple[StatementAgreement, ...]:
    kind_order = {kind: i for i, kind in enumerate(ATTRIBUTE_KINDS)}
    wordings = since if since is not None else {}
    result = []
    for (kind, text), s in found.items():
        if not s.by_role and s.earlier.total:  # only verdicts on an earlier wording: history, not a statement
            continue
        counts = VerdictCounts()
        for role_counts in s.by_role.values():
            counts = counts.merged(role_counts)
        hidden_roles = frozenset(role for role, c in s.by_role.items() if 0 < c.judged < min_group)
        result.append(
            StatementAgreement(
                persona_id=persona_id,
                kind=kind,
                text=text,
                position=s.position,
                counts=counts,
                by_role=dict(sorted(s.by_role.items())),
                suppressed=0 < counts.judged < min_group,
                suppressed_roles=hidden_roles,
                current=since is None or (persona_id, kind, text) in wordings,
                earlier=s.earlier,
                since_revision=wordings.get((persona_id, kind, text), 0),
            )
        )
    result.sort(key=lambda a: (kind_order.get(a.kind, 99), a.position, a.text))
    return tuple(result)


def _pooled(statements: Iterable[StatementAgreement]) -> VerdictCounts:
    pooled = VerdictCounts()
    for statement in statements:
        pooled = pooled.merged(statement.counts)
    return pooled


def _judge(
    sums: Mapping[str, _RoleSums], statements: Sequence[StatementAgreement], rules: EvidenceRules
) -> tuple[Fit, float | None, float | None, Verdict]:
    """The verdict's inputs and the verdict for one persona in one bucket: (fit, agreement, role gap, verdict)."""
    people, fit, _ = _overall(sums, rules.min_group)
    agreement = _pooled(statements).agreement if people >= rules.min_group else None
    roles = _role_evidence(sums, rules.min_group)
    gap = role_gap({r: e.fit for r, e in roles.items()}, max(MIN_PEOPLE_PER_ROLE, rules.min_group))
    disagreement = gap is not None and gap >= DISAGREEMENT_GAP
    return fit, agreement, gap, decide_verdict(fit.n, fit.mean, agreement, disagreement)


def _previous_statements(
    session: Session,
    workspace_id: int,
    previous: Period,
    previous_sums: Mapping[_Key, Mapping[str, _RoleSums]],
    statements_by_quarter: Mapping[_Key, Mapping[_StatementKey, _StatementSums]],
    rules: EvidenceRules,
) -> Mapping[_Key, Mapping[_StatementKey, _StatementSums]]:
    """The statements the previous period's verdict needs: only where its fit alone would validate (agreement
    can't change any other verdict). A single quarter's are among those already read for Last validated."""
    if len(previous.quarters) == 1:
        return statements_by_quarter
    ids = {
        pid
        for (pid, bucket), sums in previous_sums.items()
        if bucket == previous.label and _judge(sums, (), rules)[3] is Verdict.VALIDATED
    }
    if not ids:
        return {}
    return _statement_sums(session, workspace_id, previous.quarters, previous.label, ids)


def load_evidence(
    session: Session,
    workspace_id: int,
    period: Period,
    *,
    now: datetime,
    rules: EvidenceRules | None = None,
    persona_id: int | None = None,
) -> Evidence:
    """Every figure for `period`: each active persona (and each retired one with views in the period), the
    participation of the period's rounds, and the fit per quarter on record. With `persona_id`, that persona only.

    A handful of aggregate queries whatever the number of records; none loads an individual record.
    """
    rules = rules or EvidenceRules()
    record = quarters_on_record(session, workspace_id)
    previous = period.previous()
    span = quarters_between(min([*record, previous.first]), max([*record, period.last]))
    only = None if persona_id is None else [persona_id]
    since = wording_since(session, workspace_id, only)
    by_quarter, quarter_sources = _view_sums(session, workspace_id, span, None, persona_id)
    history = [q for q in span if q <= period.last]
    # Last validated needs a quarter's statement agreement only where the fit alone would validate it: read the
    # statements of those (persona, quarter) pairs (and of a single-quarter period), not of every quarter.
    candidates = {
        (pid, label)
        for (pid, label), sums in by_quarter.items()
        if label in {q.label for q in history} and _judge(sums, (), rules)[3] is Verdict.VALIDATED
    }
    single = len(period.quarters) == 1
    if single:
        wanted = sorted({period.first, *(q for q in history if any(label == q.label for _, label in candidates))})
        statements_by_quarter = _statement_sums(session, workspace_id, wanted, None, only, since)
    else:
        wanted = [q for q in history if any(label == q.label for _, label in candidates)]
        ids = {pid for pid, _ in candidates} if persona_id is None else {persona_id} & {p for p, _ in candidates}
        statements_by_quarter = _statement_sums(session, workspace_id, wanted, None, ids, since)

    if single:  # a single quarter is one of the per-quarter buckets already read
        period_sums, period_sources, period_statements = by_quarter, quarter_sources, statements_by_quarter
    else:
        period_sums, period_sources = _view_sums(session, workspace_id, period.quarters, period.label, persona_id)
        period_statements = _statement_sums(session, workspace_id, period.quarters, period.label, only, since)
    if len(previous.quarters) == 1:
        previous_sums: Mapping[_Key, Mapping[str, _RoleSums]] = by_quarter
    else:
        previous_sums, _ = _view_sums(session, workspace_id, previous.quarters, previous.label, persona_id)
    previous_statements = _previous_statements(
        session, workspace_id, previous, previous_sums, statements_by_quarter, rules
    )

    with_views = {pid for (pid, bucket) in period_sums if bucket == period.label}
    persona_query = select(
        Persona.id, Persona.key, Persona.name, Persona.status, Persona.owner, Persona.reviewed_at, Persona.revised_at
    ).where(
        Persona.workspace_id == workspace_id,
        or_(Persona.status == PersonaStatus.ACTIVE.value, Persona.id.in_(sorted(with_views))),
    )
    if persona_id is not None:
        persona_query = persona_query.where(Persona.id == persona_id)
    rows = list(session.execute(persona_query.order_by(Persona.name_folded, Persona.id)))

    trend_labels = tuple(q.label for q in record)
    personas: list[PersonaEvidence] = []
    for row in rows:
        key = (row.id, period.label)
        sums = period_sums.get(key, {})
        people, _, not_met = _overall(sums, rules.min_group)
        statements = _statements(row.id, period_statements.get(key, {}), rules.min_group, since)
        fit, agreement, gap, verdict = _judge(sums, statements, rules)
        previous_people, previous_fit, _ = _overall(previous_sums.get((row.id, previous.label), {}), rules.min_group)
        previous_verdict = None
        if previous_people:
            found_before = _statements(row.id, previous_statements.get((row.id, previous.label), {}), rules.min_group)
            previous_verdict = _judge(previous_sums[(row.id, previous.label)], found_before, rules)[3]
        validated = None
        for quarter in reversed(history):
            q_key = (row.id, quarter.label)
            if q_key not in candidates:
                continue
            q_statements = _statements(row.id, statements_by_quarter.get(q_key, {}), rules.min_group, since)
            if _judge(by_quarter[q_key], q_statements, rules)[3] is Verdict.VALIDATED:
                validated = quarter
                break
        trend = {
            label: _overall(by_quarter[(row.id, label)], rules.min_group)[1]
            for label in trend_labels
            if (row.id, label) in by_quarter
        }
        personas.append(
            PersonaEvidence(
                persona_id=row.id,
                key=row.key,
                name=row.name,
                status=row.status,
                owner=row.owner,
                period=period,
                people=people,
                fit=fit,
                not_met=not_met,
                by_role=_role_evidence(sums, rules.min_group),
                statements=statements,
                agreement=agreement,
                role_gap=gap,
                verdict=verdict,
                previous=previous_fit,
                sources=dict(sorted(period_sources.get(key, {}).items())),
                last_reviewed_at=last_reviewed(row.reviewed_at, row.revised_at),
                review_due=is_review_due(row.status, row.reviewed_at, row.revised_at, now, rules.review_after_days),
                last_validated=period_end_day(validated, now) if validated else None,
                last_validated_quarter=validated.label if validated else None,
                trend=trend,
                min_group=rules.min_group,
                previous_verdict=previous_verdict,
            )
        )
    return Evidence(
        workspace_id=workspace_id,
        period=period,
        previous_period=previous,
        now=now,
        rules=rules,
        personas=tuple(personas),
        participation=participation(session, workspace_id, period),
        trend_quarters=trend_labels,
        views=sum(p.people for p in personas),
    )


def persona_evidence(
    session: Session,
    workspace_id: int,
    period: Period,
    persona_id: int,
    *,
    now: datetime,
    rules: EvidenceRules | None = None,
) -> PersonaEvidence | None:
    """One persona's evidence for `period` (None: no such persona in this workspace, or retired without views)."""
    return load_evidence(session, workspace_id, period, now=now, rules=rules, persona_id=persona_id).persona(persona_id)


# --- coverage (RULE_COVERAGE) --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StatementCoverage:
    """RULE_COVERAGE for one statement a persona reads today: people's verdicts on its current wording in the period,
    in total and per role, against the minimum each role should reach (`roles`: those that check the persona)."""

    persona_id: int
    persona_name: str
    kind: str
    text: str
    position: int
    views: int
    by_role: Mapping[str, int]
    roles: tuple[str, ...]
    minimum: int

    def role_views(self, role: str) -> int:
        return self.by_role.get(role, 0)

    def reached(self, role: str) -> bool:
        return self.role_views(role) >= self.minimum

    @property
    def missing_roles(self) -> tuple[str, ...]:
        return tuple(role for role in self.roles if not self.reached(role))

    @property
    def covered(self) -> bool:
        return not self.missing_roles


def coverage_roles(team_roles: Sequence[str] | None) -> tuple[str, ...]:
    """The roles that check a persona in rounds (its `team_roles`; none named: every roster role)."""
    named = tuple(r for r in ROLES if r in (team_roles or ()))
    return named or ROLES


def statement_coverage(
    session: Session,
    workspace_id: int,
    period: Period,
    *,
    now: datetime,
    rules: EvidenceRules | None = None,
    persona_id: int | None = None,
    evidence: Evidence | None = None,
) -> tuple[StatementCoverage, ...]:
    """RULE_COVERAGE for every statement of every active persona (or of `persona_id`), in persona and statement
    order. The counts are the evidence model's own (`load_evidence`; pass `evidence` when it is loaded already)."""
    rules = rules or EvidenceRules()
    if evidence is None:
        evidence = load_evidence(session, workspace_id, period, now=now, rules=rules, persona_id=persona_id)
    query = select(Persona).where(Persona.workspace_id == workspace_id, Persona.status == PersonaStatus.ACTIVE.value)
    if persona_id is not None:
        query = query.where(Persona.id == persona_id)
    result: list[StatementCoverage] = []
    for persona in session.scalars(query.order_by(Persona.name_folded, Persona.id)):
        found = evidence.persona(persona.id)
        by_text = {(s.kind, s.text): s for s in found.statements} if found else {}
        roles = coverage_roles(persona.team_roles)
        for position, (kind, text) in enumerate(persona.attributes()):
            statement = by_text.get((kind, str(text)))
            per_role = {role: c.total for role, c in statement.by_role.items()} if statement else {}
            result.append(
                StatementCoverage(
                    persona_id=persona.id,
                    persona_name=persona.name,
                    kind=kind,
                    text=str(text),
                    position=position,
                    views=statement.counts.total if statement else 0,
                    by_role=per_role,
                    roles=roles,
                    minimum=rules.coverage_min,
                )
            )
    return tuple(result)
