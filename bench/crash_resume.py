"""(c) Crash and resume: a round killed (SIGKILL) in the middle of its fan-out, then resumed at once.

One workspace of `--reps` reps, the stand-in limiting its chat.postMessage to R/s (the app isn't told R). The real
`persona-bot checkin open` is killed once a third of the DMs are in, wherever it is (claims in flight, a DM Slack
took but the ledger didn't record yet), and `checkin open` is run again straight away: the dead process's claims
are taken over at once (its owner lock went with it) and each is decided from the DM's history. Measured: from
the first start to the end of the resumed run, against the floor N/R and an uninterrupted round of the same size
measured in the same run. Target: total <= floor + 5 s, 0 duplicates, 0 misses.

    python bench/crash_resume.py [--reps 1000] [--rate 50] [--burst 5] [--runs 1] [--database URL]

A run is noisy by a few tenths of a second (which call meets Slack's first 429, a process start on a busy
machine): `--runs 5` repeats the pair and prints the median and range as well as each run.

This machine's environment sets PYTHONDONTWRITEBYTECODE=1, so each process start would compile the app's modules
from source (about 0.1 s). A deployed app reads its cached bytecode, so the app is compiled once first, as a deploy's
build step does (`compileall`; the `__pycache__` folders are ignored by git).
"""

from __future__ import annotations

import argparse
import compileall
import os
import platform
import signal
import statistics
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
from tests.e2e.clocks import clock_env, duplicates_and_misses, fresh_database, seed_workspaces, sent_dms  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reps", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=50.0)
    parser.add_argument("--burst", type=int, default=5)
    parser.add_argument("--kill-at", type=float, default=1 / 3, help="share of the DMs in when the kill comes")
    parser.add_argument("--database", help="DATABASE_URL (default: a fresh SQLite file; PostgreSQL is wiped)")
    parser.add_argument("--runs", type=int, default=1, help="repeat the pair this many times (median and range)")
    args = parser.parse_args()
    for package in ("bot", "persona_store", "slack_standin"):
        compileall.compile_dir(ROOT / package, quiet=1)
    floor = args.reps / args.rate
    cpu = platform.processor() or platform.machine()
    print(f"machine: {cpu}, {os.cpu_count()} CPUs, Python {platform.python_version()}")
    where = "SQLite file" if not args.database else args.database.split("@")[-1]
    print(f"database: {where}; reps {args.reps}, stand-in limit {args.rate:g}/s (burst {args.burst}), not told")
    print(f"floor N/R {floor:.1f} s")
    ok, overs = True, []
    for run in range(args.runs):
        with tempfile.TemporaryDirectory(prefix="resume-bench-") as folder:
            baseline = one_round(args, Path(folder) / "baseline.db", kill=False)
            crashed = one_round(args, Path(folder) / "crashed.db", kill=True)
        if args.runs > 1:
            print(f"-- run {run + 1} of {args.runs}")
        report(baseline, crashed, floor)
        overs.append(crashed["total"] - floor)
        ok = ok and all(r["exit"] == 0 and r["duplicates"] == 0 and r["misses"] == 0 for r in (baseline, crashed))
    if args.runs > 1:
        print(
            f"killed and resumed over {args.runs} runs: floor + {statistics.median(overs):.1f} s median "
            f"(range {min(overs):.1f} to {max(overs):.1f} s; target <= floor + 5 s)"
        )
    return 0 if ok else 1


def report(baseline: dict[str, float], crashed: dict[str, float], floor: float) -> None:
    print(
        f"uninterrupted round:  total {baseline['total']:5.1f} s = floor + {baseline['total'] - floor:4.1f} s "
        f"(process start to first DM {baseline['startup']:.1f} s, last DM to exit {baseline['exit_after_last']:.2f} s)"
    )
    print(
        f"killed and resumed:   total {crashed['total']:5.1f} s = floor + {crashed['total'] - floor:4.1f} s "
        f"(target <= floor + 5 s); killed after {crashed['killed_at']:.1f} s with {crashed['in_at_kill']:.0f} DMs in, "
        f"resumed at once (its start to first DM {crashed['startup']:.1f} s, last DM to exit "
        f"{crashed['exit_after_last']:.2f} s)"
    )
    print(f"what the crash cost over the uninterrupted round: {crashed['total'] - baseline['total']:.1f} s")
    print(
        f"claims decided from the DM history: {crashed['looked']:.0f}  429s: {crashed['limited']:.0f}  "
        f"duplicates {crashed['duplicates']:.0f}  misses {crashed['misses']:.0f}"
    )


def one_round(args: argparse.Namespace, file: Path, *, kill: bool) -> dict[str, float]:
    with SlackStandin(team_id=None) as standin:
        url = args.database or f"sqlite:///{file}"
        fresh_database(url)
        (workspace,) = seed_workspaces(url, standin, teams=1, reps=args.reps)
        standin.rate_limit("chat.postMessage", args.rate, burst=args.burst, team_id=workspace.team_id)
        env = clock_env(url, standin)
        command = [sys.executable, "-m", "bot", "--team", workspace.team_id, "checkin", "open"]
        command += ["--quarter", quarter_of(datetime.now(UTC).date()).label]

        def sent() -> int:
            return sum(sent_dms(standin, [workspace])[workspace.team_id].values())

        result: dict[str, float] = {"killed_at": 0.0, "in_at_kill": 0.0}
        started = time.monotonic()
        if kill:
            first = subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
            )
            target = int(args.reps * args.kill_at)
            while sent() < target and first.poll() is None:
                time.sleep(0.01)
            os.killpg(first.pid, signal.SIGKILL)
            first.wait()
            result["killed_at"] = time.monotonic() - started
            result["in_at_kill"] = sent()
        resumed_at = time.monotonic()
        last = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
        ended = time.monotonic()
        result["total"] = ended - started
        posts = [c.at for c in standin.calls("chat.postMessage") if c.at >= resumed_at]
        result["exit_after_last"] = (ended - posts[-1]) if posts else float("nan")
        result["startup"] = (posts[0] - resumed_at) if posts else float("nan")
        result["duplicates"], result["misses"] = duplicates_and_misses(standin, [workspace])
        result["looked"] = len(standin.calls("conversations.history"))
        result["limited"] = sum(1 for c in standin.calls("chat.postMessage") if c.status == 429)
        result["exit"] = last.returncode
        if last.returncode != 0:
            print(last.stdout, last.stderr[-1000:], file=sys.stderr)
        return result


if __name__ == "__main__":
    sys.exit(main())
