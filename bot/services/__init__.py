"""Use cases. Each method is one transaction; none of them calls Slack."""

from __future__ import annotations

import functools
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
from bot.services.persona_files import PersonaFileService
from bot.services.personas_admin import PersonaAdminService
from bot.services.report_builds import ReportBuilds
from bot.services.reports import ReportService
from bot.services.results import ResultsService
from bot.services.reviews import ReviewService
from bot.services.roster import RosterService
from bot.services.settings import SettingsService
from bot.services.users import UserDataService


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
    persona_files: PersonaFileService  # the command line's personas import, export and list
    user_data: UserDataService  # the command line's export-user and delete-user
    access: Access  # who may do what (`bot.services.access`)
    # Report builds have their own bounded threads: `background` (check-in DM updates) never waits behind them.
    report_builds: ReportBuilds = field(default_factory=lambda: ReportBuilds(workers=2, per_workspace=2, queue_limit=8))

    @functools.cached_property
    def results(self) -> ResultsService:
        """`/persona results` and the owner's Home buttons, over the same access, outcomes and reviews."""
        return ResultsService(self.sessions, self.settings, self.access, self.outcomes, self.reviews)

    @classmethod
    def build(
        cls, settings: Settings, sessions: sessionmaker[Session], background: Executor, roles: SlackRoles | None = None
    ) -> Services:
        """`roles`: Slack's own admins and owners (`bot.slack.roles.SlackRoleCache`), when this process can ask."""
        access = Access(sessions, settings, roles)
        outcomes = OutcomesService(sessions, settings, access)
        return cls(
            settings=settings,
            sessions=sessions,
            background=background,
            lookup=LookupService(sessions, rules=settings.rules_in, outcome_lines=outcomes.card_lines),
            personas_admin=PersonaAdminService(sessions, settings, access),
            reviews=ReviewService(sessions, settings, access),
            checkins=CheckinService(sessions, settings, access=access),
            outbox=OutboxService(sessions, settings),
            reports=ReportService(sessions, settings, access),
            feedback=FeedbackService(sessions, settings),
            home=HomeService(sessions, settings, access),
            access=access,
            installs=InstallService(sessions),
            outcomes=outcomes,
            roster=RosterService(sessions, settings, access=access),
            workspace_settings=SettingsService(sessions, settings, access=access),
            persona_files=PersonaFileService(sessions),
            user_data=UserDataService(sessions),
            report_builds=ReportBuilds(
                workers=settings.report_build_workers,
                per_workspace=settings.report_builds_per_workspace,
                queue_limit=settings.report_queue_limit,
            ),
        )
