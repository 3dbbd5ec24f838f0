"""(a) A round fanned out with default settings to a Slack that allows R posts/s without telling the app R.

One workspace of `--reps` reps; the stand-in limits that workspace's chat.postMessage to R per second (a token
bucket of `--burst`, 429 + a whole-second Retry-After above it, like Slack). The real `persona-bot checkin open`
runs in its own process with default settings: no SLACK_POST_RATE, so the pace is learnt from Slack's answers.
Prints, per R, the total process time against the floor N/R (target <= 1.25x), the 429s, duplicates and misses.

    python bench/adaptive_pace.py [--reps 2000] [--rates 10,50] [--burst 5] [--database URL]
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from persona_store.quarters import quarter_of  # noqa: E402
from slack_standin import SlackStandin  # noqa: E402
from tests.e2e.clocks import clock_env, duplicates_and_misses, fresh_database, seed_workspaces  # noqa: E402


def one_rate(rate: float, reps: int, burst: int, database: str | None, folder: Path) -> dict[str, float]:
    url = database or f"sqlite:///{folder / f'pace-{rate:g}.db'}"
    fresh_database(url)
    with SlackStandin(team_id=None) as standin:
        (workspace,) = seed_workspaces(url, standin, teams=1, reps=reps)
        standin.rate_limit("chat.postMessage", rate, burst=burst, team_id=workspace.team_id)
        env = clock_env(url, standin)
        env.pop("SLACK_POST_RATE", None)  # default settings: the app is not told the rate
        started = time.monotonic()
        done = subprocess.run(
            [sys.executable, "-m", "bot", "--team", workspace.team_id, "checkin", "open", "--quarter",
             quarter_of(datetime.now(UTC).date()).label],
            cwd=ROOT, env=env, capture_output=True, text=True,
        )  # fmt: skip
        total = time.monotonic() - started
        if done.returncode != 0:
            print(done.stdout, done.stderr, file=sys.stderr)
        calls = standin.calls("chat.postMessage")
        duplicates, misses = duplicates_and_misses(standin, [workspace])
        return {
            "total": total,
            "floor": reps / rate,
            "limited": sum(1 for c in calls if c.status == 429),
            "duplicates": duplicates,
            "misses": misses,
            "exit": done.returncode,
        }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reps", type=int, default=2000)
    parser.add_argument("--rates", default="10,50", help="the limits R to measure, comma-separated")
    parser.add_argument("--burst", type=int, default=5)
    parser.add_argument("--database", help="DATABASE_URL (default: a fresh SQLite file per run; PostgreSQL is wiped)")
    args = parser.parse_args()
    cpu = platform.processor() or platform.machine()
    print(f"machine: {cpu}, {os.cpu_count()} CPUs, Python {platform.python_version()}")
    where = "SQLite file" if not args.database else args.database.split("@")[-1]
    print(f"database: {where}; reps {args.reps}, burst {args.burst}")
    ok = True
    with tempfile.TemporaryDirectory(prefix="pace-bench-") as folder:
        for rate in (float(r) for r in args.rates.split(",")):
            r = one_rate(rate, args.reps, args.burst, args.database, Path(folder))
            ratio = r["total"] / r["floor"]
            ok &= r["exit"] == 0 and r["duplicates"] == 0 and r["misses"] == 0 and ratio <= 1.25
            print(
                f"R={rate:g}/s: floor N/R {r['floor']:7.1f} s  total {r['total']:7.1f} s  ratio {ratio:.3f} "
                f"(target <= 1.25)  429s {r['limited']:.0f}  duplicates {r['duplicates']:.0f}  misses {r['misses']:.0f}"
            )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
