"""(c) Crash and resume: a round killed (SIGKILL) in the middle of its fan-out, then resumed at once.

One workspace of `--reps` reps, the stand-in limiting its chat.postMessage to R/s (the app isn't told R). The real
`persona-bot checkin open` is killed once a third of the DMs are in, wherever it is (claims in flight, a DM Slack
took but the ledger didn't record yet), and `checkin open` is run again straight away: the dead process's claims
are taken over at once (its owner lock went with it) and each is decided from the DM's history. Measured: from
the first start to the end of the resumed run, against the floor N/R. Target: total <= floor + 5 s, 0 duplicates,
0 misses.

    python bench/crash_resume.py [--reps 1000] [--rate 50] [--burst 5] [--database URL]
"""

from __future__ import annotations

import argparse
import os
import platform
import signal
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.slack_standin import SlackStandin  # noqa: E402
from persona_store.schedule import quarter_of  # noqa: E402
from tests.e2e.clocks import clock_env, duplicates_and_misses, fresh_database, seed_workspaces, sent_dms  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reps", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=50.0)
    parser.add_argument("--burst", type=int, default=5)
    parser.add_argument("--kill-at", type=float, default=1 / 3, help="share of the DMs in when the kill comes")
    parser.add_argument("--database", help="DATABASE_URL (default: a fresh SQLite file; PostgreSQL is wiped)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="resume-bench-") as folder, SlackStandin(team_id=None) as standin:
        url = args.database or f"sqlite:///{Path(folder) / 'resume.db'}"
        fresh_database(url)
        (workspace,) = seed_workspaces(url, standin, teams=1, reps=args.reps)
        standin.rate_limit("chat.postMessage", args.rate, burst=args.burst, team_id=workspace.team_id)
        env = clock_env(url, standin)
        command = [sys.executable, "-m", "bot", "--team", workspace.team_id, "checkin", "open"]
        command += ["--quarter", quarter_of(datetime.now(UTC).date())]
        started = time.monotonic()
        first = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
        )
        target = int(args.reps * args.kill_at)
        while sum(sent_dms(standin, [workspace])[workspace.team_id].values()) < target and first.poll() is None:
            time.sleep(0.01)
        os.killpg(first.pid, signal.SIGKILL)
        first.wait()
        killed_at = time.monotonic() - started
        in_at_kill = sum(sent_dms(standin, [workspace])[workspace.team_id].values())
        resumed = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
        total = time.monotonic() - started
        duplicates, misses = duplicates_and_misses(standin, [workspace])
        looked = len(standin.calls("conversations.history"))
        limited = sum(1 for c in standin.calls("chat.postMessage") if c.status == 429)
    floor = args.reps / args.rate
    cpu = platform.processor() or platform.machine()
    print(f"machine: {cpu}, {os.cpu_count()} CPUs, Python {platform.python_version()}")
    where = "SQLite file" if not args.database else args.database.split("@")[-1]
    print(f"database: {where}; reps {args.reps}, stand-in limit {args.rate:g}/s (burst {args.burst}), not told")
    print(f"killed (SIGKILL) after {killed_at:.1f} s with {in_at_kill} DMs in; resumed at once")
    said = resumed.stdout.strip().splitlines()[-1] if resumed.stdout.strip() else resumed.stderr[-300:]
    print(f"resumed run, exit {resumed.returncode}: {said}")
    print(f"floor N/R {floor:.1f} s  total {total:.1f} s  = floor + {total - floor:.1f} s (target <= floor + 5 s)")
    print(f"claims decided from the DM history: {looked}  429s: {limited}  duplicates {duplicates}  misses {misses}")
    return 0 if resumed.returncode == 0 and duplicates == 0 and misses == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
