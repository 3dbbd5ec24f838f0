"""The exactly-once ledger: every effect the app has on people (a DM, a reminder, a summary, a workbook, a review
request) has a key in `effects`, unique per workspace. Queries never commit.

A sender *claims* the key (INSERT … ON CONFLICT DO NOTHING, committed) before calling Slack and *completes* it after
(`done`, or `failed` for good). A `pending` claim older than its lease, or whose owner process has ended
(`persona_store.locks`), is *taken over* by compare-and-swap on its token. A claim is *released* (deleted) when
nothing was sent, *abandoned* (its lease made over) when the outcome is unknown: the next run takes it at once.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, and_, bindparam, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from persona_store.db import insert_ignore
from persona_store.locks import owner_is_gone
from persona_store.models import Effect

PENDING = "pending"
DONE = "done"
FAILED = "failed"


@dataclass(frozen=True)
class Claim:
    """The caller owns a key. `abandoned_at` is set when it took over an expired `pending` claim: that sender's
    last claim or renewal time. Only then is the outcome of an earlier send unknown (Slack may have accepted it)."""

    abandoned_at: datetime | None = None


@functools.cache
def _claim_insert(dialect: str) -> Any:
    table = cast(Table, Effect.__table__)
    statement = postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)
    return (
        statement.values(
            workspace_id=bindparam("b_workspace_id"),
            key=bindparam("b_key"),
            status=PENDING,
            detail=bindparam("b_token"),
            created_at=bindparam("b_now", type_=table.c.created_at.type),
        )
        .on_conflict_do_nothing()
        .returning(table.c.id)
    )


@functools.cache
def _complete_update() -> Any:
    table = cast(Table, Effect.__table__)
    return (
        update(table)
        .where(
            table.c.workspace_id == bindparam("b_workspace_id"),
            table.c.key == bindparam("b_key"),
            table.c.status == PENDING,
            table.c.detail == bindparam("b_token"),
        )
        .values(
            status=bindparam("new_status"),
            completed_at=bindparam("b_now", type_=table.c.completed_at.type),
            detail=bindparam("new_detail"),
        )
    )


def take(session: Session, workspace_id: int, key: str, token: str, now: datetime, lease: timedelta) -> Claim | None:
    """Claim `key` for the caller (token); commit right after, before the Slack call. None: done, failed, or owned
    by a live sender.

    A `pending` claim is abandoned once its lease has passed, or at once when the process that made it has ended:
    a run after a crash doesn't wait for leases. On PostgreSQL the row is read `FOR UPDATE SKIP LOCKED`: while
    another sender is taking it over, this one moves on instead of queueing.
    """
    # RETURNING, not rowcount: psycopg reports -1 for INSERT … ON CONFLICT DO NOTHING through SQLAlchemy.
    dialect = session.get_bind().dialect.name
    params = {"b_workspace_id": workspace_id, "b_key": key, "b_token": token, "b_now": now}
    if session.execute(_claim_insert(dialect), params).first() is not None:
        return Claim()
    existing = session.scalar(
        select(Effect).where(Effect.workspace_id == workspace_id, Effect.key == key).with_for_update(skip_locked=True)
    )
    if existing is None or existing.status != PENDING:
        return None
    if existing.created_at > now - lease and not owner_is_gone(session, existing.detail):
        return None
    abandoned_at = existing.created_at
    taken = session.execute(
        update(Effect)
        .where(_owned(workspace_id, key, existing.detail), Effect.created_at == existing.created_at)
        .values(detail=token, created_at=now)
        .execution_options(synchronize_session=False)
    )
    return Claim(abandoned_at) if taken.rowcount else None  # type: ignore[attr-defined]


def record(session: Session, workspace_id: int, key: str, now: datetime, detail: str | None = None) -> bool:
    """An effect that is done as soon as it is claimed (a file seen, nothing to attach): True the first time."""
    claimed = session.scalar(
        insert_ignore(session, Effect)
        .values(workspace_id=workspace_id, key=key, status=DONE, detail=detail, created_at=now, completed_at=now)
        .returning(Effect.id)
    )
    return claimed is not None


def _owned(workspace_id: int, key: str, token: str | None) -> Any:
    return and_(
        Effect.workspace_id == workspace_id, Effect.key == key, Effect.status == PENDING, Effect.detail == token
    )


def _update_owned(session: Session, workspace_id: int, key: str, token: str, **values: Any) -> bool:
    statement = update(Effect).where(_owned(workspace_id, key, token)).values(**values)
    return bool(session.execute(statement.execution_options(synchronize_session=False)).rowcount)  # type: ignore[attr-defined]


def renew(session: Session, workspace_id: int, key: str, token: str, now: datetime) -> bool:
    """Extend the caller's lease (while it waits out a 429); False when someone else took the claim over."""
    return _update_owned(session, workspace_id, key, token, created_at=now)


def complete(
    session: Session,
    workspace_id: int,
    key: str,
    token: str,
    now: datetime,
    status: str = DONE,
    detail: str | None = None,
) -> bool:
    """Mark the caller's claim done (or failed); False when the caller no longer owns it."""
    params = {
        "b_workspace_id": workspace_id,
        "b_key": key,
        "b_token": token,
        "new_status": status,
        "b_now": now,
        "new_detail": detail,
    }
    return bool(session.execute(_complete_update(), params).rowcount)  # type: ignore[attr-defined]


def abandon(session: Session, workspace_id: int, key: str, token: str, now: datetime, lease: timedelta) -> bool:
    """Give up a claim whose send may or may not have reached Slack (a 5xx, a dropped connection): it stays
    pending but with its lease already over, so the next run takes it over at once, as from a sender that died,
    and looks for the message before sending it again."""
    return _update_owned(session, workspace_id, key, token, created_at=now - lease - timedelta(seconds=1))


def release(session: Session, workspace_id: int, key: str, token: str) -> bool:
    """Give a claim back (Slack failed and nothing was sent): a later run may claim it afresh."""
    statement = delete(Effect).where(_owned(workspace_id, key, token))
    return bool(session.execute(statement.execution_options(synchronize_session=False)).rowcount)  # type: ignore[attr-defined]


def statuses(
    session: Session, workspace_id: int, keys: Sequence[str], live_after: datetime | None = None
) -> dict[str, str]:
    """Ledger status by key; with `live_after`, a `pending` claim older than that is left out (takeover-able)."""
    if not keys:
        return {}
    rows = session.execute(
        select(Effect.key, Effect.status, Effect.created_at).where(
            Effect.workspace_id == workspace_id, Effect.key.in_(list(keys))
        )
    )
    return {
        key: status
        for key, status, created_at in rows
        if live_after is None or status != PENDING or created_at > live_after
    }


def finished(session: Session, workspace_id: int, keys: Sequence[str]) -> set[str]:
    """The keys among `keys` whose effect is done or failed."""
    return {key for key, status in statuses(session, workspace_id, keys).items() if status != PENDING}


def find(session: Session, workspace_id: int, key: str) -> Effect | None:
    return session.scalar(select(Effect).where(Effect.workspace_id == workspace_id, Effect.key == key))
