"""A check-in round fanned out to thousands of reps, against the Slack stand-in limiting chat.postMessage.

The real `persona-bot checkin open` runs as its own process (its start-up, the users.list sweep and the
assignment of every rep are in the total); the stand-in answers 429 + Retry-After above `--rate` (a token bucket of
`--burst`). Prints the total time against the floor N / rate (target <= 1.2x), the fan-out window (first to last
DM), the 429s Slack answered, and duplicates and misses (target 0).

    python bench/checkin_fanout.py [--reps 5000] [--rate 100] [--burst 5] [--workers 4] [--database URL]
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from persona_store.db import ensure_schema, make_engine, make_session_factory  # noqa: E402
from persona_store.files import parse_persona_file  # noqa: E402
from persona_store.personas import import_personas  # noqa: E402
from persona_store.roster import import_roster  # noqa: E402
from persona_store.roster_file import RosterEntry  # noqa: E402
from persona_store.workspaces import ensure_workspace  # noqa: E402
from slack_standin import SlackStandin  # noqa: E402
from tests.e2e.harness import BotProcess  # noqa: E402

TEAM = "T0BENCH"
TOKEN = "xoxb-bench"
ZONES = ("Europe/Berlin", "America/New_York", "Pacific/Auckland", "Asia/Tokyo", None)
ROLES = ("sales", "success", "onboarding")  # the roles check-ins ask (marketing and managers are never asked)


def seed(database_url: str, standin: SlackStandin, reps: int) -> list[str]:
    engine = make_engine(database_url)
    ensure_schema(engine)
    sessions = make_session_factory(engine)
    entries = [RosterEntry(f"U{i:07d}", f"Rep {i}", ROLES[i % 3], False, ZONES[i % len(ZONES)]) for i in range(reps)]
    with sessions.begin() as s:
        workspace_id = ensure_workspace(s, TEAM, "Bench Co").id
        personas = parse_persona_file(ROOT / "bot" / "demo" / "data" / "personas.yaml")
        import_personas(s, workspace_id, personas, author="b")
        import_roster(s, workspace_id, entries)
    engine.dispose()
    for entry in entries:
        standin.add_user(TEAM, entry.slack_user_id, entry.name, tz="America/Chicago")
    return [e.slack_user_id for e in entries]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reps", type=int, default=5000)
    parser.add_argument("--rate", type=float, default=100.0, help="chat.postMessage per second the stand-in allows")
    parser.add_argument("--burst", type=int, default=5, help="the stand-in's token bucket size")
    parser.add_argument("--workers", type=int, default=4, help="CHECKIN_SEND_WORKERS")
    parser.add_argument("--database", help="DATABASE_URL (default: a fresh SQLite file)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="checkin-bench-") as folder, SlackStandin(TEAM, TOKEN) as standin:
        database = args.database or f"sqlite:///{Path(folder) / 'bench.db'}"
        reps = seed(database, standin, args.reps)
        standin.rate_limit("chat.postMessage", args.rate, burst=args.burst)
        env = BotProcess._environment(
            {
                "DATABASE_URL": database,
                "SLACK_API_URL": standin.api_url,
                "SLACK_BOT_TOKEN": TOKEN,
                "SLACK_TEAM_ID": TEAM,
                "SLACK_POST_RATE": str(args.rate),
                "CHECKIN_SEND_WORKERS": str(args.workers),
                "LOG_LEVEL": "WARNING",
            },
            inherit=True,
        )
        started = time.monotonic()
        done = subprocess.run(
            [sys.executable, "-m", "bot", "checkin", "open", "--quarter", "2026-Q4"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
        )
        total = time.monotonic() - started
        calls = standin.calls("chat.postMessage")
        accepted = [c for c in calls if c.ok]
        limited = sum(1 for c in calls if c.status == 429)
        per_rep = Counter(str(c.params.get("channel")) for c in accepted)
        duplicates = sum(n - 1 for n in per_rep.values() if n > 1)
        misses = len(set(reps) - set(per_rep))
        window = accepted[-1].at - accepted[0].at if len(accepted) > 1 else 0.0

    floor = args.reps / args.rate
    cpu = platform.processor() or platform.machine()
    print(f"machine: {cpu}, {os.cpu_count()} CPUs, Python {platform.python_version()}")
    print(f"database: {'SQLite file' if not args.database else args.database.split('@')[-1]}")
    print(f"reps {args.reps}, stand-in limit {args.rate:g}/s (burst {args.burst}), workers {args.workers}")
    said = done.stdout.strip().splitlines()[0] if done.stdout.strip() else done.stderr[-300:]
    print(f"exit status {done.returncode}: {said}")
    print(f"floor N/rate:          {floor:8.1f} s")
    print(f"total (process):       {total:8.1f} s   ratio {total / floor:.3f}  (target <= 1.2)")
    print(f"fan-out window:        {window:8.1f} s   ratio {window / floor:.3f}")
    print(f"429 answers obeyed:    {limited}")
    print(f"duplicates: {duplicates}   misses: {misses}   (target 0 and 0)")
    return 0 if done.returncode == 0 and duplicates == 0 and misses == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
