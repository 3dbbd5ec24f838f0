"""Use cases. Each method is one transaction; none of them calls Slack."""

from __future__ import annotations

from concurrent.futures import Executor
from dataclasses import dataclass, field

from sqlalchemy.orm import Session, sessionmaker

from bot.config import Settings
from bot.services.access import Access, SlackRoles
from bot.services.checkins import CheckinService
from bot.services.feedback import FeedbackService
from bot.services.home import HomeService
from bot.services.installs import InstallService
from bot.services.lookup import LookupService
from bot.services.outbox import OutboxService
from bot.services.outcomes import OutcomesService
from bot.services.personas_admin import PersonaAdminService
from bot.services.report_builds import ReportBuilds
from bot.services.reports import ReportService
from bot.services.reviews import ReviewService
from bot.services.roster import RosterService
from bot.services.settings import SettingsService


@dataclass
class Services:
    """What listeners and jobs may use, wired once in the composition root (`bot.cli`)."""

    settings: Settings
    sessions: sessionmaker[Session]
    background: Executor  # slow work after ack(), off Bolt's listener pool (report builds: `report_builds`)
    lookup: LookupService
    personas_admin: PersonaAdminService
    reviews: ReviewService
    checkins: CheckinService
    outbox: OutboxService  # every message the clock sends, exactly once (`for_team` per workspace)
    reports: ReportService
    feedback: FeedbackService
    home: HomeService
    installs: InstallService
    outcomes: OutcomesService
    roster: RosterService
    workspace_settings: SettingsService
    access: Access  # who may do what (`bot.services.access`)
    # Report builds have their own bounded threads: `background` (check-in DM updates) never waits behind them.
    report_builds: ReportBuilds = field(default_factory=lambda: ReportBuilds(workers=2, per_workspace=2, queue_limit=8))

    @classmethod
    def build(
        cls, settings: Settings, sessions: sessionmaker[Session], background: Executor, roles: SlackRoles | None = None
    ) -> Services:
        """`roles`: Slack's own admins and owners (`bot.slack_roles.SlackRoleCache`), when this process can ask."""
        access = Access(sessions, settings, roles)
        return cls(
            settings=settings,
            sessions=sessions,
            background=background,
            lookup=LookupService(sessions, rules=settings.rules_in),
            personas_admin=PersonaAdminService(sessions, settings, access),
            reviews=ReviewService(sessions, settings, access),
            checkins=CheckinService(sessions, settings, access=access),
            outbox=OutboxService(sessions, settings),
            reports=ReportService(sessions, settings, access),
            feedback=FeedbackService(sessions, settings),
            home=HomeService(sessions, settings, access),
            access=access,
            installs=InstallService(sessions),
            outcomes=OutcomesService(sessions, settings, access),
            roster=RosterService(sessions, settings, access=access),
            workspace_settings=SettingsService(sessions, settings, access=access),
            report_builds=ReportBuilds(
                workers=settings.report_build_workers,
                per_workspace=settings.report_builds_per_workspace,
                queue_limit=settings.report_queue_limit,
            ),
        )
