"""The root command and the composition root: settings -> engine/sessions -> services -> App -> server/scheduler."""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cached_property, wraps
from pathlib import Path
from typing import Any, TypeVar

import click
from slack_sdk.errors import SlackApiError
from sqlalchemy import Engine
from sqlalchemy.exc import InterfaceError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from bot.clock.context import ReconcileStep
from bot.clock.jobs import reconcile_checkins
from bot.clock.reviews import reconcile_reviews
from bot.clock.roster import reconcile_roster
from bot.config import Settings, SettingsError
from bot.request_log import configure_logging
from bot.services import Services
from bot.slack.clients import SlackClients, make_web_client
from bot.slack.oauth import InstalledSlackClients
from bot.slack.roles import SlackRoleCache
from persona_store import db
from persona_store.files import FileError
from persona_store.personas import PersonaConflict, PersonaNotFound
from persona_store.workspaces import find_workspace, list_workspaces

F = TypeVar("F", bound=Callable[..., Any])
# What the clock does for each workspace every tick, in order: check-in rounds, review requests, the roster.
CLOCK_STEPS: tuple[ReconcileStep, ...] = (reconcile_checkins, reconcile_reviews, reconcile_roster)


class CLIError(click.ClickException):
    """A one-line reason on stderr and exit status 1."""

    def format_message(self) -> str:
        return self.message


@dataclass
class Runtime:
    """Everything a command may need, built lazily and once: the composition root."""

    settings: Settings
    team: str | None = None
    serving_threads: int = 0  # `serve` sets its HTTP threads before the engine is built (see _pool_options)
    _closers: list[Callable[[], None]] = field(default_factory=list)

    @cached_property
    def engine(self) -> Engine:
        try:
            engine = db.make_engine(self.settings.database_url, **_pool_options(self.settings, self.serving_threads))
        except db.DatabaseURLError as error:
            raise CLIError(str(error)) from None
        self._closers.append(engine.dispose)
        try:
            db.ensure_schema(engine)
        except (OperationalError, InterfaceError) as error:
            raise CLIError(f"cannot reach the database ({_db_reason(error)}); check DATABASE_URL") from None
        return engine

    @cached_property
    def sessions(self) -> sessionmaker[Session]:
        return db.make_session_factory(self.engine)

    @cached_property
    def background(self) -> ThreadPoolExecutor:
        pool = ThreadPoolExecutor(max_workers=self.settings.background_threads, thread_name_prefix="background")
        self._closers.append(lambda: pool.shutdown(wait=True))
        return pool

    @cached_property
    def slack_clients(self) -> SlackClients:
        if self.settings.oauth_enabled:
            return InstalledSlackClients(self.settings, self.sessions)
        return SlackClients(self.settings, self.sessions)

    @cached_property
    def services(self) -> Services:
        # Slack's own admins and owners count as admins of their workspace: asked lazily, cached.
        roles = SlackRoleCache(self.slack_clients.for_team, self.settings.admin_role_cache_seconds)
        services = Services.build(self.settings, self.sessions, self.background, roles)
        self._closers.append(services.report_builds.shutdown)
        return services

    def team_id(self) -> str:
        """Which workspace a CLI command acts on: --team, SLACK_TEAM_ID, the only one on record, or auth.test.

        `--team` names a workspace on record (or the bot token's own): a typo is refused, never a new workspace.
        """
        if self.team:
            return self._known_team(self.team)
        if self.settings.slack_team_id:
            return self.settings.slack_team_id
        with self.sessions.begin() as s:
            known = list_workspaces(s)
        if len(known) == 1:
            return known[0].team_id
        if len(known) > 1:
            names = ", ".join(w.team_id for w in known)
            raise CLIError(f"several workspaces are on record ({names}); pass --team TEAM_ID")
        if self.settings.slack_bot_token:
            try:
                return str(make_web_client(self.settings).auth_test()["team_id"])
            except SlackApiError as error:
                raise CLIError(f"Slack refused the bot token ({error.response.get('error')})") from None
        raise CLIError("can't tell which Slack workspace to use: set SLACK_BOT_TOKEN or SLACK_TEAM_ID, or pass --team")

    def _known_team(self, team: str) -> str:
        team = team.strip().upper()
        with self.sessions.begin() as s:
            if find_workspace(s, team) is not None:
                return team
            known = [w.team_id for w in list_workspaces(s)]
        if team == self.settings.slack_team_id or (not known and team == self._token_team()):
            return team  # the configured workspace, or the bot token's own on a fresh database
        if known:
            raise CLIError(f"no workspace {team} on record; known: {', '.join(known)} (pass one of them to --team)")
        raise CLIError(f"no workspace {team} on record, and none is yet: leave out --team to use the bot token's")

    def _token_team(self) -> str | None:
        """The bot token's workspace, when a token is set and Slack accepts it (else None)."""
        if not self.settings.slack_bot_token or self.settings.oauth_enabled:
            return None
        try:
            return str(make_web_client(self.settings).auth_test()["team_id"])
        except (SlackApiError, OSError):
            return None

    def close(self) -> None:
        while self._closers:
            self._closers.pop()()


def _pool_options(settings: Settings, serving_threads: int = 0) -> dict[str, int]:
    """Enough pooled connections for the clock (see README, Deploying): three held for the process's life (the
    clock's presence lock, its claim-owner lock, and the one connection holding all its workspace locks), one for
    the tick, and one per workspace in hand for its step's short transactions; the overflow (one more per workspace)
    covers its send workers' transactions when they happen to overlap. A send worker holds a connection for a
    millisecond or two per DM while Slack paces it at 100 ms or more, so its workers rarely overlap at all; when more
    than that do, they wait for a connection (`pool_timeout`) instead of opening one. `serve` (`serving_threads`:
    its HTTP threads) answers in those threads and works on after the answer on Bolt's listener pool, the
    background pool and the report builds: its overflow covers all of them, so a burst never waits for a
    connection. Idle pools stay small."""
    if not settings.database_url.startswith("postgresql"):
        return {}
    workspaces = settings.scheduler_parallel_workspaces
    overflow = workspaces
    if serving_threads:
        overflow += serving_threads + settings.listener_threads + settings.background_threads
        overflow += settings.report_build_workers
    return {"pool_size": 4 + workspaces, "max_overflow": overflow}


def _db_reason(error: SQLAlchemyError) -> str:
    original = getattr(error, "orig", None) or error
    return " ".join(str(original).split())[:200]


def describe_file_error(error: FileError) -> str:
    """Every problem of a refused file, a line each (one problem: just that line), so one pass fixes them all."""
    if len(error.problems) <= 1:
        return str(error)
    return f"{len(error.problems)} problems, nothing imported:\n" + "\n".join(f"  {p}" for p in error.problems)


def friendly_errors(func: F) -> F:
    """Turn expected failures into one line on stderr and a non-zero exit; never a traceback."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except FileError as error:
            raise CLIError(describe_file_error(error)) from None
        except (SettingsError, PersonaConflict, PersonaNotFound, db.DatabaseURLError) as error:
            raise CLIError(str(error)) from None
        except OperationalError as error:
            raise CLIError(f"database error ({_db_reason(error)})") from None

    return wrapper  # type: ignore[return-value]


pass_runtime = click.make_pass_decorator(Runtime)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--team", metavar="TEAM_ID", help="Slack team id of the workspace to act on (CLI commands).")
@click.version_option(package_name="persona-bot")
@click.pass_context
def cli(ctx: click.Context, team: str | None) -> None:
    """persona-bot: keeps your customer personas honest, in Slack."""
    try:
        settings = Settings.from_env(os.environ, dotenv=Path.cwd() / ".env")
    except SettingsError as error:
        raise CLIError(str(error)) from None
    configure_logging(settings.log_level)
    runtime = Runtime(settings=settings, team=team)
    ctx.obj = runtime
    ctx.call_on_close(runtime.close)
