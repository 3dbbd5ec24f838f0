"""Settings: the only place that reads the environment (and the optional `.env` file)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.orm import Session

from persona_store.evidence import EvidenceRules
from persona_store.workspace_settings import WorkspaceSettings, load_settings

DEFAULT_DATABASE_URL = "sqlite:///persona_bot.db"
DEFAULT_SLACK_API_URL = "https://slack.com/api/"

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


class SettingsError(ValueError):
    """A setting is missing or malformed; the message is one line, fit for a person."""


def normalise_database_url(url: str) -> str:
    """Accept Heroku-style `postgres://` URLs and pick the psycopg 3 driver for PostgreSQL."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def read_dotenv(path: Path) -> dict[str, str]:
    """Parse a minimal `.env` file: KEY=VALUE lines, `#` comments, optional quotes."""
    values: dict[str, str] = {}
    if not path.is_file():
        return values
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        key = key.strip().removeprefix("export ").strip()
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        values[key] = value
    return values


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw is None:
        return default
    lowered = raw.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise SettingsError(f"{name} must be true or false, not {raw!r}")


def _int(env: Mapping[str, str], name: str, default: int, minimum: int = 0) -> int:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, not {raw!r}") from None
    if value < minimum:
        raise SettingsError(f"{name} must be at least {minimum}, not {value}")
    return value


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a number, not {raw!r}") from None
    if value <= 0:
        raise SettingsError(f"{name} must be positive, not {raw!r}")
    return value


def _optional_float(env: Mapping[str, str], name: str) -> float | None:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return None
    return _float(env, name, 1.0)


def _zone(env: Mapping[str, str], name: str, default: str) -> str:
    value = (env.get(name) or default).strip()
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise SettingsError(f"{name} must be an IANA time zone such as Europe/Berlin, not {value!r}") from None
    return value


def _cadence(raw: str | None) -> tuple[str, int]:
    """CHECKIN_CADENCE: `quarterly`, `every 2 weeks`, `3 months`, `weekly`, `monthly`."""
    words = (raw or "quarterly").strip().lower().removeprefix("every").split()
    if words in (["quarterly"], ["quarter"]):
        return "quarterly", 1
    if words in (["weekly"], ["week"]):
        return "weeks", 1
    if words in (["monthly"], ["month"]):
        return "months", 1
    if len(words) == 2 and words[0].isdigit() and words[1].rstrip("s") in ("week", "month") and int(words[0]) >= 1:
        return words[1].rstrip("s") + "s", int(words[0])
    raise SettingsError(f"CHECKIN_CADENCE must be quarterly, or every N weeks or months (e.g. '2 weeks'), not {raw!r}")


def _dates(name: str, raw: str | None) -> tuple[date, ...]:
    try:
        return tuple(sorted({date.fromisoformat(part.strip()) for part in (raw or "").split(",") if part.strip()}))
    except ValueError:
        raise SettingsError(f"{name} must be dates like 2026-12-24, separated by commas, not {raw!r}") from None


def _ids(raw: str | None) -> frozenset[str]:
    return frozenset(part.strip() for part in (raw or "").split(",") if part.strip())


@dataclass(frozen=True)
class Settings:
    """Everything persona-bot can be told from outside. Secrets never appear in repr()."""

    database_url: str = DEFAULT_DATABASE_URL
    slack_api_url: str = DEFAULT_SLACK_API_URL
    slack_bot_token: str | None = field(default=None, repr=False)
    slack_signing_secret: str | None = field(default=None, repr=False)
    slack_app_token: str | None = field(default=None, repr=False)
    slack_client_id: str | None = None
    slack_client_secret: str | None = field(default=None, repr=False)
    slack_team_id: str | None = None
    admins: frozenset[str] = frozenset()
    default_timezone: str = "UTC"
    report_channel: str | None = None
    anonymous_ratings: bool = False
    review_after_days: int = 182
    min_group_size: int = 3  # with anonymous ratings, no figure for a group of fewer people than this
    checkin_open_hour: int = 10
    checkin_reminder_days: tuple[int, ...] = (3, 7)
    checkin_close_day: int = 14
    checkin_max_reminders: int = 2
    checkin_reminder_spacing_hours: int = 24
    checkin_cadence: tuple[str, int] = ("quarterly", 1)
    checkin_quiet_days: tuple[date, ...] = ()
    slack_post_rate: float | None = None  # a ceiling for the learnt pace (bot.slack.pacing); None: Slack decides
    slack_post_start_rate: float = 4.0
    checkin_claim_lease_seconds: int = 600
    checkin_send_workers: int = 4
    scheduler_tick_seconds: int = 120
    scheduler_parallel_workspaces: int = 8
    scheduler_join_seconds: float = 1.5
    listener_threads: int = 16
    background_threads: int = 4
    report_build_workers: int = 2
    report_builds_per_workspace: int = 2
    report_queue_limit: int = 8
    admin_role_cache_seconds: int = 300
    log_level: str = "INFO"
    port: int = 3000
    outcomes_on_card: bool = False
    outcomes_max_file_mb: int = 20

    @property
    def evidence_rules(self) -> EvidenceRules:
        """The evidence model's rules from the environment alone (a workspace's own settings: `rules_in`)."""
        return self.workspace_defaults().evidence_rules()

    def rules_in(self, session: Session, workspace_id: int) -> EvidenceRules:
        """The evidence model's rules for one workspace: its `/persona settings`, else the environment's."""
        return load_settings(session, workspace_id, self.workspace_defaults()).evidence_rules()

    @classmethod
    def from_env(cls, environ: Mapping[str, str], dotenv: Path | None = None) -> Settings:
        """Build settings from a mapping; values in `dotenv` fill in what the mapping lacks."""
        env: dict[str, str] = {}
        if dotenv is not None:
            env.update(read_dotenv(dotenv))
        env.update(environ)

        def text(name: str) -> str | None:
            value = env.get(name, "").strip()
            return value or None

        reminder_days = tuple(
            _int({"CHECKIN_REMINDER_DAYS": part}, "CHECKIN_REMINDER_DAYS", 0, minimum=1)
            for part in (env.get("CHECKIN_REMINDER_DAYS") or "3,7").split(",")
            if part.strip()
        )
        close_day = _int(env, "CHECKIN_CLOSE_DAY", 14, minimum=1)
        if any(day >= close_day for day in reminder_days):
            raise SettingsError("CHECKIN_REMINDER_DAYS must all come before CHECKIN_CLOSE_DAY")
        open_hour = _int(env, "CHECKIN_OPEN_HOUR", 10)
        if open_hour > 23:
            raise SettingsError(f"CHECKIN_OPEN_HOUR must be an hour from 0 to 23, not {open_hour}")
        api_url = text("SLACK_API_URL") or DEFAULT_SLACK_API_URL
        if not api_url.endswith("/"):
            api_url += "/"
        return cls(
            database_url=normalise_database_url(text("DATABASE_URL") or DEFAULT_DATABASE_URL),
            slack_api_url=api_url,
            slack_bot_token=text("SLACK_BOT_TOKEN"),
            slack_signing_secret=text("SLACK_SIGNING_SECRET"),
            slack_app_token=text("SLACK_APP_TOKEN"),
            slack_client_id=text("SLACK_CLIENT_ID"),
            slack_client_secret=text("SLACK_CLIENT_SECRET"),
            slack_team_id=text("SLACK_TEAM_ID"),
            admins=_ids(env.get("PERSONA_BOT_ADMINS")),
            default_timezone=_zone(env, "PERSONA_BOT_TIMEZONE", "UTC"),
            report_channel=text("REPORT_CHANNEL"),
            anonymous_ratings=_bool(env, "ANONYMOUS_RATINGS", False),
            review_after_days=_int(env, "REVIEW_AFTER_DAYS", 182, minimum=1),
            min_group_size=_int(env, "MIN_GROUP_SIZE", 3, minimum=1),
            checkin_open_hour=open_hour,
            checkin_reminder_days=reminder_days,
            checkin_close_day=close_day,
            checkin_max_reminders=_int(env, "CHECKIN_MAX_REMINDERS", 2),
            checkin_reminder_spacing_hours=_int(env, "CHECKIN_REMINDER_SPACING_HOURS", 24),
            checkin_cadence=_cadence(text("CHECKIN_CADENCE")),
            checkin_quiet_days=_dates("CHECKIN_QUIET_DAYS", env.get("CHECKIN_QUIET_DAYS")),
            slack_post_rate=_optional_float(env, "SLACK_POST_RATE"),
            slack_post_start_rate=_float(env, "SLACK_POST_START_RATE", 4.0),
            checkin_claim_lease_seconds=_int(env, "CHECKIN_CLAIM_LEASE_SECONDS", 600, minimum=1),
            checkin_send_workers=_int(env, "CHECKIN_SEND_WORKERS", 4, minimum=1),
            scheduler_tick_seconds=_int(env, "SCHEDULER_TICK_SECONDS", 120, minimum=1),
            scheduler_parallel_workspaces=_int(env, "SCHEDULER_PARALLEL_WORKSPACES", 8, minimum=1),
            scheduler_join_seconds=_float(env, "SCHEDULER_JOIN_SECONDS", 1.5),
            listener_threads=_int(env, "PERSONA_BOT_LISTENER_THREADS", 16, minimum=1),
            background_threads=_int(env, "PERSONA_BOT_BACKGROUND_THREADS", 4, minimum=1),
            report_build_workers=_int(env, "REPORT_BUILD_WORKERS", 2, minimum=1),
            report_builds_per_workspace=_int(env, "REPORT_BUILDS_PER_WORKSPACE", 2, minimum=1),
            report_queue_limit=_int(env, "REPORT_QUEUE_LIMIT", 8),
            admin_role_cache_seconds=_int(env, "ADMIN_ROLE_CACHE_SECONDS", 300),
            log_level=(text("LOG_LEVEL") or "INFO").upper(),
            port=_int(env, "PORT", 3000, minimum=0),
            outcomes_on_card=_bool(env, "OUTCOMES_ON_CARD", False),
            outcomes_max_file_mb=_int(env, "OUTCOMES_MAX_FILE_MB", 20, minimum=1),
        )

    @property
    def oauth_enabled(self) -> bool:
        return bool(self.slack_client_id and self.slack_client_secret)

    def require(self, *names: str, command: str) -> None:
        """Fail fast, in one line, when a setting the command needs is missing."""
        for name in names:
            attr = name.lower().removeprefix("slack_")
            value = getattr(self, f"slack_{attr}", None) if hasattr(self, f"slack_{attr}") else getattr(self, attr)
            if not value:
                raise SettingsError(f"{name} is not set; `persona-bot {command}` needs it (see README, Configuration)")

    def with_overrides(self, **changes: object) -> Settings:
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]

    def workspace_defaults(self) -> WorkspaceSettings:
        """What `/persona settings` starts from in a workspace that changed nothing: these environment values."""
        return WorkspaceSettings(
            cadence=self.checkin_cadence[0],
            cadence_every=self.checkin_cadence[1],
            open_hour=self.checkin_open_hour,
            reminder_days=self.checkin_reminder_days,
            close_day=self.checkin_close_day,
            max_reminders=self.checkin_max_reminders,
            quiet_days=self.checkin_quiet_days,
            summary_channel=self.report_channel,
            anonymous=self.anonymous_ratings,
            min_group_size=self.min_group_size,
            review_after_days=self.review_after_days,
            outcomes_on_card=self.outcomes_on_card,
        )

    def is_admin(self, user_id: str) -> bool:
        return user_id in self.admins
