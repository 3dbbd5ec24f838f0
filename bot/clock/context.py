"""What the clock's steps get: the settings, the services, Slack clients per workspace, pacers, and the steps."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine

from bot.config import Settings
from bot.services import Services
from bot.services.checkins import CheckinService
from bot.services.outbox import OutboxService
from bot.services.paces import PaceService
from bot.services.reports import ReportService
from bot.services.reviews import ReviewService
from bot.services.roster import RosterService
from bot.slack.clients import SlackClients
from bot.slack.pacing import AdaptivePacer, PacerRegistry
from persona_store.db import make_session_factory

ReconcileStep = Callable[["ClockContext", str], object]


@dataclass
class ClockContext:
    """Built once by the composition root (`ClockContext.of`), with the steps each tick runs, in order. The
    services not given are made once from the engine (never per tick)."""

    settings: Settings
    checkins: CheckinService
    slack: SlackClients
    engine: Engine | None = None
    sleep: Callable[[float], None] = time.sleep
    reports: ReportService | None = None  # attaches the quarter's workbook to the close summary when given
    pacers: PacerRegistry | None = None  # per workspace and method; made from the settings when not given
    outbox: OutboxService | None = None
    reviews: ReviewService | None = None
    roster: RosterService | None = None
    steps: tuple[ReconcileStep, ...] = ()

    def __post_init__(self) -> None:
        sessions = make_session_factory(self.engine) if self.engine is not None else None
        if sessions is not None:
            self.outbox = self.outbox or OutboxService(sessions, self.settings)
            self.reviews = self.reviews or ReviewService(sessions, self.settings)
            self.roster = self.roster or RosterService(sessions, self.settings)
        if self.pacers is None:
            self.pacers = PacerRegistry(
                ceiling=self.settings.slack_post_rate,
                start=self.settings.slack_post_start_rate,
                sleep=self.sleep,
                memory=PaceService(sessions) if sessions is not None else None,
            )

    @classmethod
    def of(
        cls, services: Services, slack: SlackClients, steps: tuple[ReconcileStep, ...] = (), **kw: Any
    ) -> ClockContext:
        """The clock over the process's services (the CLI and `persona-bot scheduler`)."""
        s = services
        engine = s.sessions.kw["bind"]
        return cls(s.settings, s.checkins, slack, engine, reports=s.reports, outbox=s.outbox, reviews=s.reviews,
                   roster=s.roster, steps=steps, **kw)  # fmt: skip

    def pacer(self, team_id: str, method: str = "chat.postMessage") -> AdaptivePacer:
        """The pace this process has learnt for `method` in workspace `team_id` (shared by all its senders)."""
        assert self.pacers is not None
        return self.pacers.get(team_id, method)

    def outbox_for(self, team_id: str) -> OutboxService:
        assert self.outbox is not None, "the clock needs the database engine or an outbox"
        return self.outbox.for_team(team_id)
