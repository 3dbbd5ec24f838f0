"""`persona-bot doctor` and `/persona doctor`: every check of a setup, each a line saying it works or what to fix.

The checks are decided here, from the settings, the database and what Slack said about each token. Slack itself is
asked elsewhere (`bot.slack_probe`): this service never calls Slack, it judges the answers it is handed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import Engine, func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from bot.config import Settings
from bot.render import render_part
from persona_store.clock import last_tick
from persona_store.db import DatabaseURLError, make_session_factory
from persona_store.migration_state import migration_state
from persona_store.models import Persona, PersonaStatus, RosterMember, utcnow
from persona_store.workspaces import find_workspace

Clock = Callable[[], datetime]
# A clock that missed this many ticks (plus a minute of slack) has stopped.
CLOCK_STALE_TICKS = 3


@dataclass(frozen=True)
class Check:
    """One line of the report: `ok`, and a sentence (mrkdwn) saying what works or what to fix."""

    name: str  # signing_secret | oauth_config | bot_token | scopes | app_token | installs | database | migrations |
    # roster | owners | clock | skipped
    ok: bool
    text: str
    team_id: str | None = None
    informational: bool = False  # neither passes nor fails (e.g. no app token, which only `socket` needs)


@dataclass(frozen=True)
class DoctorReport:
    checks: tuple[Check, ...]

    @property
    def failed(self) -> tuple[Check, ...]:
        return tuple(c for c in self.checks if not c.ok and not c.informational)

    @property
    def ok(self) -> bool:
        return not self.failed

    @property
    def summary(self) -> str:
        counted = [c for c in self.checks if not c.informational]
        return render_part("doctor", "summary", len(self.failed), len(counted))


@dataclass(frozen=True)
class TokenAnswer:
    """What Slack said about one token (gathered by `bot.slack_probe`)."""

    kind: Literal["bot", "app"]
    team_id: str | None = None
    team: str | None = None
    user: str | None = None
    error: str | None = None  # Slack's error code when it refused; "missing" when there is no token
    unreachable: str | None = None  # why Slack could not be asked
    scopes: frozenset[str] | None = None  # the x-oauth-scopes header; None when Slack sent none
    url: str = ""

    @property
    def works(self) -> bool:
        return self.error is None and self.unreachable is None


@dataclass
class DatabaseCheck:
    checks: list[Check] = field(default_factory=list)
    sessions: sessionmaker[Session] | None = None  # set when the data checks can go on


class DoctorService:
    def __init__(self, settings: Settings, needed_scopes: Sequence[str], clock: Clock = utcnow) -> None:
        self._settings = settings
        self._needed = tuple(needed_scopes)
        self._clock = clock

    @staticmethod
    def _check(name: str, ok: bool, for_team: str | None = None, **params: Any) -> Check:
        return Check(name, ok, render_part("doctor", name, ok, **params), for_team)

    def configuration(self) -> list[Check]:
        """Settings Slack needs from us: the signing secret, and both or neither of the OAuth pair."""
        s = self._settings
        checks = [self._check("signing_secret", bool(s.slack_signing_secret))]
        if bool(s.slack_client_id) != bool(s.slack_client_secret):
            checks.append(self._check("oauth_config", False))
        elif s.oauth_enabled:
            checks.append(self._check("oauth_config", True))
        return checks

    def token(self, answer: TokenAnswer) -> list[Check]:
        """The token works (auth.test / apps.connections.open), and for a bot token the granted scopes suffice."""
        params = {"error": answer.error, "reason": answer.unreachable, "url": answer.url}
        if answer.kind == "app":
            check = self._check("app_token", answer.works, **params)
            if answer.error == "missing":
                check = Check(check.name, False, check.text, informational=True)
            return [check]
        checks = [
            self._check(
                "bot_token", answer.works, answer.team_id, team_id=answer.team_id, team=answer.team,
                user=answer.user, **params,
            )
        ]  # fmt: skip
        if answer.works:
            if answer.scopes is None:
                checks.append(self._check("scopes", False, answer.team_id, unknown=True))
            else:
                missing = [scope for scope in self._needed if scope not in answer.scopes]
                checks.append(self._check("scopes", not missing, answer.team_id, missing=missing))
        return checks

    def no_installs(self) -> Check:
        return Check("installs", False, render_part("doctor", "installs", False))

    def database(self, engine: Callable[[], Engine]) -> DatabaseCheck:
        """Reachable, and migrated to the code's head; the session factory for the data checks when both hold."""
        result = DatabaseCheck()
        try:
            eng = engine()
            backend = eng.dialect.name
            state = migration_state(eng)
        except DatabaseURLError as error:
            result.checks.append(Check("database", False, f"{error}"))
            return result
        except SQLAlchemyError as error:
            reason = " ".join(str(getattr(error, "orig", None) or error).split())[:200]
            result.checks.append(self._check("database", False, backend="", reason=reason))
            return result
        result.checks.append(self._check("database", True, backend=backend))
        result.checks.append(
            self._check("migrations", state.at_head, current=state.current, heads=state.heads, ahead=state.ahead)
        )
        if state.at_head:
            result.sessions = make_session_factory(eng)
        return result

    def skipped(self, reason: str) -> Check:
        return Check("skipped", False, render_part("doctor", "skipped_data", reason), informational=True)

    def workspace(self, sessions: sessionmaker[Session], team_id: str) -> list[Check]:
        """The roster has people, and every active persona has an owner."""
        with sessions.begin() as s:
            workspace = find_workspace(s, team_id)
            people = 0
            names: list[str] = []
            unowned: list[str] = []
            if workspace is not None:
                people = s.scalar(
                    select(func.count())
                    .select_from(RosterMember)
                    .where(RosterMember.workspace_id == workspace.id, RosterMember.active.is_(True))
                ) or 0  # fmt: skip
                rows = s.execute(
                    select(Persona.name, Persona.owner)
                    .where(Persona.workspace_id == workspace.id, Persona.status == PersonaStatus.ACTIVE.value)
                    .order_by(Persona.name_folded)
                ).all()
                names = [row.name for row in rows]
                unowned = [row.name for row in rows if not row.owner]
        return [
            self._check("roster", people > 0, team_id, people=people, team_id=team_id),
            self._check(
                "owners", not unowned, team_id, personas=len(names), unowned=unowned, team_id=team_id
            ),
        ]  # fmt: skip

    def clock(self, sessions: sessionmaker[Session]) -> Check:
        """The clock ticked within a few of its intervals."""
        with sessions.begin() as s:
            tick = last_tick(s)
            ticked_at = tick.ticked_at if tick is not None else None
        tick_seconds = self._settings.scheduler_tick_seconds
        if ticked_at is None:
            return self._check("clock", False, ago_minutes=None, tick_seconds=tick_seconds)
        ago = max(0.0, (self._clock() - ticked_at).total_seconds())
        fresh = ago <= CLOCK_STALE_TICKS * tick_seconds + 60
        return self._check("clock", fresh, ago_minutes=int(ago // 60), tick_seconds=tick_seconds)
