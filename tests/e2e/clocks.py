"""Many workspaces and real `persona-bot scheduler` processes against one stand-in (tests and bench/).

`seed_workspaces` installs the app in each workspace (OAuth mode: every token in the installation store), imports
the demo personas and a roster, and opens this quarter's round with its invitations due now; `start_clock` runs
`python -m bot scheduler` on that database. `sent_dms` counts accepted check-in DMs per workspace and rep;
`WorkspaceLockWatch` samples how many workspaces each clock holds at once (PostgreSQL).
"""

from __future__ import annotations

import subprocess
import sys
import threading
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO

from slack_sdk.oauth.installation_store import Installation
from sqlalchemy import text

from bot.config import Settings
from bot.services.checkins import CheckinService
from bot.slack.oauth import installation_store
from persona_store.db import ensure_schema, make_engine, make_session_factory
from persona_store.files import parse_persona_file
from persona_store.personas import import_personas
from persona_store.quarters import quarter_of
from persona_store.roster import import_roster
from persona_store.roster_file import RosterEntry
from persona_store.workspaces import ensure_workspace
from slack_standin import SlackStandin
from tests.e2e.harness import REPO_ROOT, BotProcess

PERSONAS = REPO_ROOT / "bot" / "demo" / "data" / "personas.yaml"
ROLES = ("sales", "success", "onboarding")  # the roles a round asks


@dataclass(frozen=True)
class Workspace:
    team_id: str
    token: str
    reps: tuple[str, ...]


def seed_workspaces(database_url: str, standin: SlackStandin, teams: int, reps: int) -> list[Workspace]:
    """`teams` workspaces of `reps` reps each, installed, with a round whose invitations are all due now."""
    engine = make_engine(database_url)
    ensure_schema(engine)
    sessions = make_session_factory(engine)
    settings = Settings.from_env({}).with_overrides(
        database_url=database_url, slack_client_id=standin.client_id, slack_client_secret=standin.client_secret
    )
    store = installation_store(settings, sessions)
    service = CheckinService(sessions, settings)
    today = datetime.now(UTC).date()
    specs = parse_persona_file(PERSONAS)
    made = []
    for t in range(teams):
        team_id, token = f"T0W{t:04d}", f"xoxb-w{t:04d}"
        standin.add_workspace(team_id, token, bot_user_id=f"UB{t:04d}")
        entries = [
            RosterEntry(f"U{t:03d}R{i:05d}", f"Rep {i}", ROLES[i % 3], False, "Europe/Berlin") for i in range(reps)
        ]
        # A manager besides the reps: managers get the summary and are never asked (bot.roster's rule).
        manager = RosterEntry(f"U{t:03d}M00000", "Manager", "sales", True, "Europe/Berlin")
        with sessions.begin() as s:
            workspace_id = ensure_workspace(s, team_id, f"Team {t}").id
            import_personas(s, workspace_id, specs, author="seed")
            import_roster(s, workspace_id, [*entries, manager])
        for entry in [*entries, manager]:
            standin.add_user(team_id, entry.slack_user_id, entry.name, tz="Europe/Berlin")
        store.save(
            Installation(
                app_id="A0STANDIN",
                team_id=team_id,
                team_name=f"Team {t}",
                bot_token=token,
                bot_id=f"B{t:04d}",
                bot_user_id=f"UB{t:04d}",
                bot_scopes=["chat:write", "im:write", "im:history", "users:read"],
                user_id=manager.slack_user_id,
                installed_at=datetime.now(UTC).timestamp(),
            )
        )
        # Day 1 was yesterday, so every rep's 10:00 has passed; no reminder or close is due yet.
        service.open_round(team_id, quarter_of(today).label, today + timedelta(days=12))
        made.append(Workspace(team_id, token, tuple(e.slack_user_id for e in entries)))
    engine.dispose()
    return made


def fresh_database(database_url: str) -> None:
    """Empty a PostgreSQL database (benchmarks reuse one); a SQLite file is new anyway."""
    if database_url.startswith("postgresql"):
        engine = make_engine(database_url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()


def clock_env(database_url: str, standin: SlackStandin, **extra: str) -> dict[str, str]:
    return BotProcess._environment(
        {
            "DATABASE_URL": database_url,
            "SLACK_API_URL": standin.api_url,
            "SLACK_BOT_TOKEN": "",
            "SLACK_CLIENT_ID": standin.client_id,
            "SLACK_CLIENT_SECRET": standin.client_secret,
            "SLACK_SIGNING_SECRET": "unused-by-the-clock",
            "SCHEDULER_TICK_SECONDS": "1",
            "LOG_LEVEL": "WARNING",
            **extra,
        },
        inherit=True,
    )


def start_clock(env: dict[str, str], log: Path) -> tuple[subprocess.Popen[bytes], IO[bytes]]:
    handle = log.open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "scheduler"],
        cwd=REPO_ROOT,
        env=env,
        stdout=handle,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    return process, handle


def sent_dms(standin: SlackStandin, workspaces: list[Workspace]) -> dict[str, Counter[str]]:
    """Accepted chat.postMessage calls per workspace, per rep."""
    by_team: dict[str, Counter[str]] = {w.team_id: Counter() for w in workspaces}
    for call in standin.calls("chat.postMessage"):
        if call.ok and call.team_id in by_team:
            by_team[call.team_id][str(call.params.get("channel"))] += 1
    return by_team


def duplicates_and_misses(standin: SlackStandin, workspaces: list[Workspace]) -> tuple[int, int]:
    sent = sent_dms(standin, workspaces)
    duplicates = sum(n - 1 for counts in sent.values() for n in counts.values() if n > 1)
    misses = sum(len(set(w.reps) - set(sent[w.team_id])) for w in workspaces)
    return duplicates, misses


def all_sent(standin: SlackStandin, workspaces: list[Workspace]) -> bool:
    sent = sent_dms(standin, workspaces)
    return all(set(w.reps) <= set(sent[w.team_id]) for w in workspaces)


class WorkspaceLockWatch:
    """Samples PostgreSQL's workspace advisory locks while clocks run: the most workspaces each clock held at once.

    A clock holds every workspace lock on one connection of its own (`persona_store.locks.WorkspaceLocks`), so
    the backend pid that holds a lock names the clock. Without a database URL (SQLite) it samples nothing.
    """

    QUERY = text(
        "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND classid = 0 AND objsubid = 1"
        " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
    )

    def __init__(self, database_url: str | None, every: float = 0.1) -> None:
        self._url = database_url
        self._every = every
        self._peak: dict[int, int] = {}
        self._halt = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="lock-watch", daemon=True)

    def start(self) -> None:
        if self._url:
            self._thread.start()

    def stop(self) -> None:
        self._halt.set()
        if self._thread.is_alive():
            self._thread.join()

    def peaks(self) -> list[int]:
        """The most workspaces each clock held at once, largest first."""
        return sorted(self._peak.values(), reverse=True)

    def _watch(self) -> None:
        engine = make_engine(str(self._url))
        try:
            with engine.connect() as conn:
                while not self._halt.wait(self._every):
                    for pid, count in Counter(int(row[0]) for row in conn.execute(self.QUERY)).items():
                        self._peak[pid] = max(count, self._peak.get(pid, 0))
                    conn.rollback()
        finally:
            engine.dispose()
