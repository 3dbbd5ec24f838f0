"""The clock's own record: when its tick last ran, so a setup check can tell a clock that stopped."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from persona_store.db import insert_ignore
from persona_store.models import ClockTick

RECONCILE = "reconcile"


def record_tick(session: Session, now: datetime, host: str | None = None, name: str = RECONCILE) -> None:
    """One more tick at `now` (safe when two clocks tick at once: the row is created once, then updated)."""
    session.execute(insert_ignore(session, ClockTick).values(name=name, ticked_at=now, ticks=0, host=host))
    session.execute(
        update(ClockTick)
        .where(ClockTick.name == name)
        .values(ticked_at=now, ticks=ClockTick.ticks + 1, host=host)
        .execution_options(synchronize_session=False)
    )


def last_tick(session: Session, name: str = RECONCILE) -> ClockTick | None:
    return session.scalars(select(ClockTick).where(ClockTick.name == name)).one_or_none()
