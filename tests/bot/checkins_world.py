"""A check-in world for unit and fault tests: the stand-in, a roster of reps, personas, a settable clock."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.cli.root import CLOCK_STEPS
from bot.clock.context import ClockContext
from bot.config import Settings
from bot.services.checkins import CheckinService
from bot.services.outbox import OutboxService
from bot.slack.clients import SlackClients
from persona_store.files import parse_persona_file
from persona_store.personas import import_personas
from persona_store.roster import import_roster
from persona_store.roster_file import RosterEntry
from persona_store.workspaces import ensure_workspace
from slack_standin import SlackStandin

TEAM = "T0CHECK"
TOKEN = "xoxb-checkins"
PERSONAS = """
personas:
  - name: Marketing Director Mary
    role: Marketing Director
    summary: Owns pipeline targets.
    goals: [Hit pipeline targets]
    pain_points: [Attribution is guesswork]
    objections: [Too expensive]
  - name: Finance Fiona
    role: CFO
    summary: Signs off spend.
    goals: [Predictable costs]
    team_roles: [sales]
  - name: Onboarding Olly
    role: Implementation lead
    summary: Gets customers live.
    pain_points: [Data migration]
    team_roles: [onboarding, success]
"""


@dataclass
class FakeClock:
    now: datetime = field(default_factory=lambda: datetime(2026, 10, 1, 12, 0, tzinfo=UTC))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self) -> datetime:
        with self._lock:
            return self.now

    def set(self, when: datetime) -> None:
        with self._lock:
            self.now = when

    def advance(self, **delta: float) -> None:
        with self._lock:
            self.now += timedelta(**delta)


@dataclass
class CheckinWorld:
    standin: SlackStandin
    sessions: sessionmaker[Session]
    engine: Engine
    settings: Settings
    clock: FakeClock
    reps: list[str]
    workspace_id: int

    def context(self, *, sleep: Callable[[float], None] = time.sleep, **overrides: Any) -> ClockContext:
        """The clock over this world, running the real steps (`CLOCK_STEPS`), on the world's clock."""
        settings = self.settings.with_overrides(**overrides) if overrides else self.settings
        service = CheckinService(self.sessions, settings, clock=self.clock)
        outbox = OutboxService(self.sessions, settings, clock=self.clock)
        slack = SlackClients(settings)
        return ClockContext(settings, service, slack, self.engine, sleep=sleep, outbox=outbox, steps=CLOCK_STEPS)

    @property
    def service(self) -> CheckinService:
        return self.context().checkins

    def dms(self, kind: str | None = None) -> Counter[str]:
        """Messages per rep (by the user id the app posted to), optionally only invitations or reminders."""
        counted: Counter[str] = Counter()
        for call in self.standin.calls("chat.postMessage", team_id=TEAM):
            if not call.ok:
                continue
            text = str(call.params.get("text") or "")
            if kind == "invite" and text.startswith("Reminder"):
                continue
            if kind == "reminder" and not text.startswith("Reminder"):
                continue
            counted[str(call.params.get("channel"))] += 1
        return counted


def roster_entries(count: int, zones: tuple[str | None, ...] = ("Europe/Berlin",)) -> list[RosterEntry]:
    """Reps who are all asked in check-ins (roles that meet customers; no managers, who are never asked)."""
    roles = ("sales", "success", "onboarding", "sales")
    return [
        RosterEntry(f"U{i:04d}", f"Rep {i}", roles[i % len(roles)], False, zones[i % len(zones)]) for i in range(count)
    ]


@contextmanager
def checkin_world(
    sessions: sessionmaker[Session],
    entries: list[RosterEntry],
    *,
    deactivated: tuple[str, ...] = (),
    missing: tuple[str, ...] = (),
    slack_zones: dict[str, str] | None = None,
    **settings: Any,
) -> Iterator[CheckinWorld]:
    engine = sessions.kw["bind"]
    with SlackStandin(team_id=TEAM, bot_token=TOKEN) as standin:
        for entry in entries:
            if entry.slack_user_id in missing:
                continue
            zone = (slack_zones or {}).get(entry.slack_user_id, "America/Chicago")
            standin.add_user(TEAM, entry.slack_user_id, entry.name, tz=zone, deleted=entry.slack_user_id in deactivated)
        with sessions.begin() as s:
            workspace_id = ensure_workspace(s, TEAM, "Check-in Co").id
            import_personas(s, workspace_id, parse_persona_file(PERSONAS), author="import")
            import_roster(s, workspace_id, entries)
        base = Settings.from_env({}).with_overrides(
            slack_api_url=standin.api_url,
            slack_bot_token=TOKEN,
            slack_team_id=TEAM,
            **{"slack_post_rate": 500.0, "slack_post_start_rate": 500.0, "checkin_send_workers": 4, **settings},
        )
        yield CheckinWorld(
            standin=standin,
            sessions=sessions,
            engine=engine,
            settings=base,
            clock=FakeClock(),
            reps=[e.slack_user_id for e in entries],
            workspace_id=workspace_id,
        )
