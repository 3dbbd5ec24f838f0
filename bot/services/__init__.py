"""Use cases. Each method is one transaction; none of them calls Slack."""

from __future__ import annotations

from concurrent.futures import Executor
from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from bot.config import Settings
from bot.services.checkins import CheckinService
from bot.services.feedback import FeedbackService
from bot.services.home import HomeService
from bot.services.installs import InstallService
from bot.services.lookup import LookupService
from bot.services.outcomes import OutcomesService
from bot.services.personas_admin import PersonaAdminService
from bot.services.reports import ReportService
from bot.services.reviews import ReviewService
from bot.services.roster import RosterService
from bot.services.settings import SettingsService


@dataclass
class Services:
    """What listeners and jobs may use, wired once in the composition root (`bot.cli`)."""

    settings: Settings
    sessions: sessionmaker[Session]
    background: Executor  # slow work after ack(), off Bolt's listener pool
    lookup: LookupService
    personas_admin: PersonaAdminService
    reviews: ReviewService
    checkins: CheckinService
    reports: ReportService
    feedback: FeedbackService
    home: HomeService
    installs: InstallService
    outcomes: OutcomesService
    roster: RosterService
    workspace_settings: SettingsService

    @classmethod
    def build(cls, settings: Settings, sessions: sessionmaker[Session], background: Executor) -> Services:
        return cls(
            settings=settings,
            sessions=sessions,
            background=background,
            lookup=LookupService(sessions, rules=settings.rules_in),
            personas_admin=PersonaAdminService(sessions, settings),
            reviews=ReviewService(sessions, settings),
            checkins=CheckinService(sessions, settings),
            reports=ReportService(sessions, settings),
            feedback=FeedbackService(sessions, settings),
            home=HomeService(sessions, settings),
            installs=InstallService(sessions),
            outcomes=OutcomesService(sessions, settings),
            roster=RosterService(sessions, settings),
            workspace_settings=SettingsService(sessions, settings),
        )
