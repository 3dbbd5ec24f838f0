"""Quarterly check-in rounds: rounds, participation and answers (queries never commit).

Every message the app sends for a round has a key in the exactly-once ledger (`persona_store.effects`):
`checkin:{round}:{user}:invite`, `…:reminder:{n}`, `…:snooze:{when}`, `round:{round}:summary:{target}`; it is
completed together with the participation row.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.orm import Session

from persona_store.db import insert_ignore
from persona_store.models import (
    CheckinRound,
    Feedback,
    Participation,
    Persona,
    RosterMember,
    utcnow,
)
from persona_store.roster import asked_in_checkins

__all__ = [
    "SKIP_REASONS",
    "Assignment",
    "RoundClosed",
    "assign",
    "close_round",
    "effect_key",
    "get_participation",
    "get_round",
    "latest_open_round",
    "open_round",
    "personas_for_role",
    "unassigned_members",
]

SKIP_REASONS = {
    "on_leave": "On leave",
    "no_customer_contact": "No customer contact this quarter",
    "new_in_role": "New in role",
}


class RoundClosed(Exception):
    """The round is closed: answers, skips and snoozes are no longer taken."""


def effect_key(round_id: int, user_id: str | None, kind: str, part: object | None = None) -> str:
    """The ledger key of one effect: per (round, rep, kind[, number]), or per round when `user_id` is None."""
    base = f"round:{round_id}" if user_id is None else f"checkin:{round_id}:{user_id}"
    return f"{base}:{kind}" if part is None else f"{base}:{kind}:{part}"


# --- rounds ---------------------------------------------------------------------------------------------------


def get_round(session: Session, workspace_id: int, round_id: int) -> CheckinRound | None:
    return session.scalar(
        select(CheckinRound).where(CheckinRound.workspace_id == workspace_id, CheckinRound.id == round_id)
    )


def round_for_quarter(session: Session, workspace_id: int, quarter: str) -> CheckinRound | None:
    return session.scalar(
        select(CheckinRound).where(CheckinRound.workspace_id == workspace_id, CheckinRound.quarter == quarter)
    )


def latest_open_round(session: Session, workspace_id: int) -> CheckinRound | None:
    return session.scalar(
        select(CheckinRound)
        .where(CheckinRound.workspace_id == workspace_id, CheckinRound.status == "open")
        .order_by(CheckinRound.quarter.desc())
        .limit(1)
    )


def latest_round(session: Session, workspace_id: int) -> CheckinRound | None:
    return session.scalar(
        select(CheckinRound)
        .where(CheckinRound.workspace_id == workspace_id)
        .order_by(CheckinRound.quarter.desc())
        .limit(1)
    )


def open_rounds(session: Session, workspace_id: int) -> list[CheckinRound]:
    return list(
        session.scalars(
            select(CheckinRound)
            .where(CheckinRound.workspace_id == workspace_id, CheckinRound.status == "open")
            .order_by(CheckinRound.quarter)
        )
    )


def closed_rounds(session: Session, workspace_id: int) -> list[CheckinRound]:
    return list(
        session.scalars(
            select(CheckinRound)
            .where(CheckinRound.workspace_id == workspace_id, CheckinRound.status == "closed")
            .order_by(CheckinRound.quarter)
        )
    )


def open_round(
    session: Session, workspace_id: int, quarter: str, due_date: date, now: datetime | None = None
) -> tuple[CheckinRound, bool]:
    """The round for `quarter`, created open with `due_date` unless it exists; (round, created).

    Two openers racing both get the same row: the unique (workspace, quarter) constraint decides.
    """
    # RETURNING, not rowcount: psycopg reports -1 for INSERT … ON CONFLICT DO NOTHING through SQLAlchemy.
    created = session.scalar(
        insert_ignore(session, CheckinRound)
        .values(workspace_id=workspace_id, quarter=quarter, status="open", due_date=due_date, opened_at=now or utcnow())
        .returning(CheckinRound.id)
    )
    found = round_for_quarter(session, workspace_id, quarter)
    assert found is not None
    return found, created is not None


def close_round(session: Session, workspace_id: int, round_id: int, now: datetime | None = None) -> bool:
    """Close an open round; True for the one caller that closed it."""
    result = session.execute(
        update(CheckinRound)
        .where(CheckinRound.workspace_id == workspace_id, CheckinRound.id == round_id, CheckinRound.status == "open")
        .values(status="closed", closed_at=now or utcnow())
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


# --- participation --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Assignment:
    """A rep put on a round: their zone (roster, else Slack, else default) and whether Slack can reach them."""

    slack_user_id: str
    role: str
    timezone: str
    unreachable_reason: str | None = None


def unassigned_members(session: Session, workspace_id: int, round_id: int) -> list[RosterMember]:
    """Roster members a round asks (`asked_in_checkins`: no managers, observers or marketing) not on it yet."""
    taken = select(Participation.slack_user_id).where(Participation.round_id == round_id)
    return list(
        session.scalars(
            select(RosterMember)
            .where(
                RosterMember.workspace_id == workspace_id,
                asked_in_checkins(),
                RosterMember.slack_user_id.not_in(taken),
            )
            .order_by(RosterMember.slack_user_id)
        )
    )


def active_member_ids(session: Session, workspace_id: int) -> set[str]:
    """Slack user ids of the roster members a round asks (reps taken off it, or made managers or observers, are
    not messaged again)."""
    return set(
        session.scalars(
            select(RosterMember.slack_user_id).where(RosterMember.workspace_id == workspace_id, asked_in_checkins())
        )
    )


def assign(session: Session, round_id: int, assignments: Sequence[Assignment], now: datetime | None = None) -> int:
    """Add reps to a round (idempotent: a rep already on it keeps their row); returns how many were added."""
    now = now or utcnow()
    rows = [
        {
            "round_id": round_id,
            "slack_user_id": item.slack_user_id,
            "role": item.role,
            "timezone": item.timezone,
            "assigned_at": now,
            "reminder_count": 0,
            "unreachable_at": now if item.unreachable_reason else None,
            "unreachable_reason": item.unreachable_reason,
        }
        for item in assignments
    ]
    if not rows:
        return 0
    # One statement for every row (the driver's executemany, batched into multi-row INSERTs by SQLAlchemy), compiled
    # once and cached: a VALUES list spelt out per call was compiled again for every round and size.
    # RETURNING lists only the rows inserted (not those already there).
    statement = insert_ignore(session, Participation.__table__).returning(Participation.__table__.c.id)
    return len(session.execute(statement, rows).all())


@dataclass(frozen=True)
class ClaimState:
    """What decides whether a message is still wanted, read in one query."""

    round_status: str
    sent_at: datetime | None
    answered_at: datetime | None
    skipped_at: datetime | None
    unreachable_at: datetime | None
    reminder_count: int
    snoozed_until: datetime | None

    @property
    def silent(self) -> bool:
        return (
            self.sent_at is not None
            and self.answered_at is None
            and self.skipped_at is None
            and self.unreachable_at is None
        )


@functools.cache
def _claim_state_query() -> Any:
    # Built once: constructing a statement costs more than running it on SQLite, and a fan-out runs this per DM.
    return (
        select(
            CheckinRound.status,
            Participation.sent_at,
            Participation.answered_at,
            Participation.skipped_at,
            Participation.unreachable_at,
            Participation.reminder_count,
            Participation.snoozed_until,
        )
        .join(CheckinRound, CheckinRound.id == Participation.round_id)
        .where(
            CheckinRound.workspace_id == bindparam("workspace_id"),
            Participation.round_id == bindparam("round_id"),
            Participation.slack_user_id == bindparam("user_id"),
        )
    )


def claim_state(session: Session, workspace_id: int, round_id: int, user_id: str) -> ClaimState | None:
    params = {"workspace_id": workspace_id, "round_id": round_id, "user_id": user_id}
    row = session.execute(_claim_state_query(), params).one_or_none()
    return None if row is None else ClaimState(*row)


def get_participation(session: Session, round_id: int, user_id: str) -> Participation | None:
    return session.scalar(
        select(Participation).where(Participation.round_id == round_id, Participation.slack_user_id == user_id)
    )


def participations(session: Session, round_id: int) -> list[Participation]:
    return list(
        session.scalars(
            select(Participation).where(Participation.round_id == round_id).order_by(Participation.slack_user_id)
        )
    )


@functools.cache
def _participation_update(columns: tuple[str, ...]) -> Any:
    table = cast(Table, Participation.__table__)
    return (
        update(table)
        .where(table.c.round_id == bindparam("p_round_id"), table.c.slack_user_id == bindparam("p_user_id"))
        .values({name: bindparam(f"v_{name}") for name in columns})
    )


def update_participation(session: Session, round_id: int, user_id: str, **values: Any) -> None:
    statement = _participation_update(tuple(sorted(values)))
    session.execute(
        statement, {"p_round_id": round_id, "p_user_id": user_id, **{f"v_{k}": v for k, v in values.items()}}
    )


def personas_for_role(personas: Sequence[Persona], role: str) -> list[Persona]:
    """Active personas a rep of `role` checks: those naming the role in `team_roles`, plus those naming none."""
    return [p for p in personas if p.active and (not p.team_roles or role in p.team_roles)]


# --- answers ---------------------------------------------------------------------------------------------------


def answered_persona_ids(session: Session, workspace_id: int, round_id: int, user_id: str) -> set[int]:
    """The personas this rep has a stored check-in answer for in this round."""
    return set(
        session.scalars(
            select(Feedback.persona_id).where(
                Feedback.workspace_id == workspace_id,
                Feedback.round_id == round_id,
                Feedback.author_id == user_id,
                Feedback.source == "checkin",
            )
        )
    )


def unanswered_personas(
    session: Session, workspace_id: int, round_id: int, user_id: str, asked: Sequence[Persona]
) -> list[int]:
    """The rule for "answered": every persona the rep was asked about has a stored answer in that round.

    Returns the ids still missing, in the order the rep sees them (empty: the rep has answered)."""
    answered = answered_persona_ids(session, workspace_id, round_id, user_id)
    return [p.id for p in asked if p.id not in answered]


def round_feedback(session: Session, workspace_id: int, round_id: int) -> list[Feedback]:
    return list(
        session.scalars(
            select(Feedback)
            .where(Feedback.workspace_id == workspace_id, Feedback.round_id == round_id)
            .order_by(Feedback.persona_id, Feedback.author_id)
        )
    )
