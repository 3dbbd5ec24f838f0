"""(b) Many workspaces at once: W workspaces x N reps, each workspace with its own Slack limit of R posts/s.

The real `persona-bot scheduler` (OAuth mode: every workspace installed) runs against the stand-in, which limits
each workspace's chat.postMessage separately (a token bucket of `--burst`, 429 + whole-second Retry-After), as
Slack does. Each workspace has a round whose invitations are all due. Measured: from the clocks' start until the
last DM is in. The floor is the slowest workspace alone, max over workspaces of N_w / R_w. Runs, in one go:
one clock on a SQLite file, one clock on PostgreSQL, two clocks on PostgreSQL (sharing the workspaces through the
per-workspace advisory lock). Targets: one clock <= 1.5x the floor; two clocks faster than one.

    python bench/many_workspaces.py [--teams 20] [--reps 250] [--rate 10] [--parallel 20] [--send-workers N] \\
        [--database postgresql+psycopg://postgres@127.0.0.1:5432/scale_bench]   # a database it may wipe
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from slack_standin import SlackStandin  # noqa: E402
from tests.e2e.clocks import (  # noqa: E402
    WorkspaceLockWatch,
    all_sent,
    clock_env,
    duplicates_and_misses,
    fresh_database,
    seed_workspaces,
    start_clock,
)


def run(database: str, clocks: int, args: argparse.Namespace, folder: Path) -> dict[str, Any]:
    fresh_database(database)
    with SlackStandin(team_id=None) as standin:
        workspaces = seed_workspaces(database, standin, teams=args.teams, reps=args.reps)
        for w in workspaces:
            standin.rate_limit("chat.postMessage", args.rate, burst=args.burst, team_id=w.team_id)
        extra = {"CHECKIN_SEND_WORKERS": str(args.send_workers)} if args.send_workers else {}
        env = clock_env(database, standin, SCHEDULER_PARALLEL_WORKSPACES=str(args.parallel), **extra)
        started = time.monotonic()
        children, own = resource.getrusage(resource.RUSAGE_CHILDREN), resource.getrusage(resource.RUSAGE_SELF)
        watch = WorkspaceLockWatch(database if database.startswith("postgresql") else None)
        watch.start()
        running = [start_clock(env, folder / f"clock-{clocks}-{n}.log") for n in range(clocks)]
        try:
            deadline = started + args.timeout
            while not all_sent(standin, workspaces) and time.monotonic() < deadline:
                time.sleep(0.1)
            posts = [c for c in standin.calls("chat.postMessage") if c.ok]
            total = (posts[-1].at - started) if posts else float("nan")
        finally:
            for process, log in running:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(30)
                log.close()
            watch.stop()
        split = watch.peaks()
        after_children = resource.getrusage(resource.RUSAGE_CHILDREN)
        after_own = resource.getrusage(resource.RUSAGE_SELF)
        clock_cpu = (after_children.ru_utime + after_children.ru_stime) - (children.ru_utime + children.ru_stime)
        standin_cpu = (after_own.ru_utime + after_own.ru_stime) - (own.ru_utime + own.ru_stime)
        duplicates, misses = duplicates_and_misses(standin, workspaces)
        limited = sum(1 for c in standin.calls("chat.postMessage") if c.status == 429)
        # Where the time over the floor goes, per workspace: its first DM after the clocks' start, and its first
        # to its last DM (the pace; the floor is N_w / R_w of that).
        first: dict[str, float] = {}
        last: dict[str, float] = {}
        for call in posts:
            first.setdefault(str(call.team_id), call.at - started)
            last[str(call.team_id)] = call.at - started
        starts = sorted(first.values())
        spans = sorted(last[t] - first[t] for t in first)
    # A workspace step that failed (e.g. PostgreSQL refusing connections: "too many clients") is retried on a later
    # tick, which costs time: counted from the clocks' logs, so a slow run says why.
    logs = [(folder / f"clock-{clocks}-{n}.log").read_text(encoding="utf-8", errors="replace") for n in range(clocks)]
    failed = sum(text.count("reconcile step failed") for text in logs)
    refused = sum(text.count("too many clients") for text in logs)
    return {
        "total": total, "duplicates": duplicates, "misses": misses, "limited": limited, "failed": failed,
        "refused": refused, "split": split, "clock_cpu": clock_cpu, "standin_cpu": standin_cpu,
        "first_min": starts[0], "first_max": starts[-1], "span_median": spans[len(spans) // 2], "span_max": spans[-1],
    }  # fmt: skip


def _check_connections(args: argparse.Namespace) -> None:
    """Say so when two clocks may open more connections than the server allows (README, Deploying: a clock's pool
    is bounded at 4 + 2 x SCHEDULER_PARALLEL_WORKSPACES, bot/cli/root.py): refused connections fail
    workspace steps, which the next tick retries, and the run then measures that, not the clocks."""
    from sqlalchemy import create_engine, text

    bound = 2 * (4 + 2 * args.parallel)
    engine = create_engine(args.database)
    try:
        with engine.connect() as conn:
            allowed = int(conn.execute(text("SHOW max_connections")).scalar_one())
            in_use = int(conn.execute(text("SELECT count(*) FROM pg_stat_activity")).scalar_one())
    finally:
        engine.dispose()
    print(
        f"two clocks may open up to {bound} connections; the server allows {allowed}, {in_use} in use now"
        + ("" if bound <= allowed - in_use else " - over the limit: expect refused connections (see README)")
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--teams", type=int, default=20)
    parser.add_argument("--reps", type=int, default=250)
    parser.add_argument("--rate", type=float, default=10.0, help="each workspace's chat.postMessage limit")
    parser.add_argument("--burst", type=int, default=5)
    parser.add_argument("--parallel", type=int, default=20, help="SCHEDULER_PARALLEL_WORKSPACES per clock")
    parser.add_argument("--send-workers", type=int, help="CHECKIN_SEND_WORKERS per workspace (default: the app's)")
    parser.add_argument("--database", help="a PostgreSQL URL it may wipe (without it: SQLite only)")
    parser.add_argument("--timeout", type=float, default=600.0)
    parser.add_argument("--only", help="comma-separated runs: sqlite1,pg1,pg2")
    args = parser.parse_args()
    floor = args.reps / args.rate
    cpu = platform.processor() or platform.machine()
    print(f"machine: {cpu}, {os.cpu_count()} CPUs, Python {platform.python_version()}")
    print(
        f"{args.teams} workspaces x {args.reps} reps, each limited to {args.rate:g}/s (burst {args.burst}); "
        f"SCHEDULER_PARALLEL_WORKSPACES={args.parallel}; floor max(N_w/R_w) = {floor:.1f} s"
    )
    plan = [("sqlite1", "one clock, SQLite", None, 1)]
    if args.database:
        plan += [
            ("pg1", "one clock, PostgreSQL", args.database, 1),
            ("pg2", "two clocks, PostgreSQL", args.database, 2),
        ]
    wanted = set(args.only.split(",")) if args.only else {name for name, *_ in plan}
    if args.database and "pg2" in wanted:
        _check_connections(args)
    results: dict[str, dict[str, Any]] = {}
    ok = True
    with tempfile.TemporaryDirectory(prefix="workspaces-bench-") as folder:
        for name, label, database, clocks in plan:
            if name not in wanted:
                continue
            url = database or f"sqlite:///{Path(folder) / 'bench.db'}"
            r = results[name] = run(url, clocks, args, Path(folder))
            ok &= r["duplicates"] == 0 and r["misses"] == 0
            print(
                f"{label:24} total {r['total']:7.1f} s  ratio {r['total'] / floor:.3f}  429s {r['limited']:.0f}  "
                f"duplicates {r['duplicates']:.0f}  misses {r['misses']:.0f}  failed steps {r['failed']:.0f} "
                f"(PostgreSQL refused a connection: {r['refused']:.0f}); CPU: clocks {r['clock_cpu']:.1f} s, "
                f"stand-in {r['standin_cpu']:.1f} s\n{'':24} a workspace's first DM at "
                f"{r['first_min']:.1f}-{r['first_max']:.1f} s, "
                f"first to last DM {r['span_median']:.1f} s (median), {r['span_max']:.1f} s (slowest); "
                f"most workspaces each clock held at once: {' + '.join(str(n) for n in r['split']) or '-'}"
            )
    if "pg1" in results and "pg2" in results:
        speedup = results["pg1"]["total"] / results["pg2"]["total"]
        print(f"two clocks vs one on PostgreSQL: {speedup:.2f}x as fast")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
