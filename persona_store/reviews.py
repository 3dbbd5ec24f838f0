"""Six-monthly persona reviews: what is due, the ledger keys that make each request exactly-once, and the digest.

"Review due" is the evidence model's rule (`evidence.review_due_clause`: no review and no revision for
REVIEW_AFTER_DAYS). A persona's review *cycle* is named by its last review or revision (`evidence.last_reviewed`,
seconds since the epoch): recording a review or revising the persona starts a new cycle, so each cycle's request
is claimed once in `effects` under `review:{persona_id}:{cycle}`. The digest's figures are the evidence model's
for the current quarter. Queries take a Session and never commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from persona_store import effects
from persona_store.evidence import (
    EvidenceRules,
    PersonaEvidence,
    StatementAgreement,
    last_reviewed,
    last_reviewed_column,
    persona_evidence,
    review_due_clause,
)
from persona_store.models import Feedback, Persona
from persona_store.quarters import Period, quarter_of
from persona_store.themes import Theme, group_themes, latest_texts_between

# How much of a digest a DM can show; the rest is in the spreadsheet.
TOP_MISMATCHES = 5
LATEST_MISSING = 3
TOP_THEMES = 3
# A claim still `pending` after this long belongs to a sender that died: another tick may take it over.
REVIEW_LEASE = timedelta(hours=1)


@dataclass(frozen=True)
class MissingNote:
    text: str
    author_role: str
    created_at: datetime


@dataclass(frozen=True)
class ReviewDigest:
    """The evidence an owner reads before saying a persona is still accurate."""

    since: datetime  # where the "what's missing" notes start: the previous quarter's first day
    period: Period  # the figures' period: the current quarter, as on the card and on Home
    evidence: PersonaEvidence | None
    missing: tuple[MissingNote, ...]
    themes: tuple[Theme, ...] = ()  # "what's missing" grouped by shared wording, most people first

    @property
    def mismatches(self) -> tuple[StatementAgreement, ...]:
        """The statements most people said don't match (people's latest verdicts; withheld groups left out)."""
        if self.evidence is None:
            return ()
        found = [s for s in self.evidence.statements if not s.suppressed and s.counts.doesnt]
        found.sort(key=lambda s: (-s.counts.doesnt, s.counts.agreement or 0.0, s.position))
        return tuple(found[:TOP_MISMATCHES])


@dataclass(frozen=True)
class OverdueReview:
    persona_id: int
    name: str
    owner: str | None
    reviewed_at: datetime
    days_overdue: int
    request_status: str | None  # the review request's ledger status for this cycle: None = not sent yet


def review_cycle(persona: Persona) -> int:
    """The current review cycle's name: the last review or revision, in whole seconds."""
    return int(last_reviewed(persona.reviewed_at, persona.revised_at).timestamp())


def review_key(persona_id: int, cycle: int) -> str:
    return f"review:{persona_id}:{cycle}"


def digest_window_start(now: datetime) -> datetime:
    """The start of the last two quarters: the current quarter so far and the whole quarter before it."""
    return quarter_of(now).previous().start_at


def due_for_review(session: Session, workspace_id: int, now: datetime, after_days: int) -> list[Persona]:
    """Active personas with an owner, not reviewed for `after_days`, whose request for this cycle is not claimed."""
    personas = session.scalars(
        select(Persona)
        .where(
            Persona.workspace_id == workspace_id,
            Persona.owner.is_not(None),
            review_due_clause(now, after_days),
        )
        .order_by(last_reviewed_column(), Persona.id)
    ).all()
    claimed = effects.statuses(session, workspace_id, _keys(personas), live_after=now - REVIEW_LEASE)
    return [p for p in personas if review_key(p.id, review_cycle(p)) not in claimed]


def overdue_reviews(session: Session, workspace_id: int, now: datetime, after_days: int) -> list[OverdueReview]:
    """Every active persona past its review date (owner or not), most overdue first, with its request status."""
    personas = session.scalars(
        select(Persona)
        .where(
            Persona.workspace_id == workspace_id,
            review_due_clause(now, after_days),
        )
        .order_by(last_reviewed_column(), Persona.name_folded, Persona.id)
    ).all()
    statuses = effects.statuses(session, workspace_id, _keys(personas))
    return [
        OverdueReview(
            persona_id=p.id,
            name=p.name,
            owner=p.owner,
            reviewed_at=last_reviewed(p.reviewed_at, p.revised_at),
            days_overdue=max(0, (now - last_reviewed(p.reviewed_at, p.revised_at)).days - after_days),
            request_status=statuses.get(review_key(p.id, review_cycle(p))),
        )
        for p in personas
    ]


def _keys(personas: Sequence[Persona]) -> list[str]:
    return [review_key(p.id, review_cycle(p)) for p in personas]


def recorded_review_message(session: Session, workspace_id: int, persona_id: int, cycle: int) -> tuple[str, str] | None:
    """The review DM this app sent for (persona, cycle), as the ledger recorded it: (channel, ts), or None.

    The only message a review answer may update: never a channel or ts taken from the request."""
    effect = effects.find(session, workspace_id, review_key(persona_id, cycle))
    if effect is None or effect.status != effects.DONE or not effect.detail:
        return None
    channel, separator, ts = effect.detail.partition(":")
    if not separator or not channel or not ts or channel == "None" or ts == "None":
        return None
    return channel, ts


def review_digest(
    session: Session, workspace_id: int, persona_id: int, now: datetime, rules: EvidenceRules | None = None
) -> ReviewDigest:
    """The persona's evidence for the current quarter (the same figures as its card and Home) and the latest
    "what's missing" notes from this quarter and the one before."""
    period = Period.single(quarter_of(now))
    since = digest_window_start(now)
    found = persona_evidence(session, workspace_id, period, persona_id, now=now, rules=rules)
    missing = session.execute(
        select(Feedback.missing_text, Feedback.author_role, Feedback.created_at)
        .where(
            Feedback.workspace_id == workspace_id,
            Feedback.persona_id == persona_id,
            Feedback.created_at >= since,
            Feedback.created_at <= now,
            func.length(func.trim(Feedback.missing_text)) > 0,
        )
        .order_by(Feedback.created_at.desc(), Feedback.id.desc())
        .limit(LATEST_MISSING)
    )
    return ReviewDigest(
        since=since,
        period=period,
        evidence=found,
        missing=tuple(
            MissingNote(text.strip(), role, created if created.tzinfo else created.replace(tzinfo=UTC))
            for text, role, created in missing
        ),
        themes=tuple(group_themes(latest_texts_between(session, workspace_id, persona_id, "missing", since, now)))[
            :TOP_THEMES
        ],
    )
