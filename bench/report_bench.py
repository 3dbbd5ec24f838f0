"""The managers' report against its floor: wall time and peak memory, at 10k and 100k feedback records.

The database: 20 personas (3 checkable attributes each), 200 reps, 8 quarters (2025-Q1..2026-Q4) each with a
check-in round and 200 participations; feedback spread evenly over personas and quarters, half of it given in a
round, three attribute verdicts per record, one in ten with free text.

Two measurements, each in its own fresh process (so peak memory is that work's alone):
- floor: openpyxl in write-only mode dumping the same raw rows as the Responses sheet (the same 21 columns, one
  streaming SELECT, values appended as they come: one sheet, no aggregation, no styling, no text hygiene);
- report: `ReportService.build` for all eight quarters: every sheet, charts, formats, hygiene, the raw sheet
  streamed in pages.
Peak memory is the process's peak resident set (VmHWM) while doing the work, with the peak reset just before
(so it includes the ~90 MB the interpreter and imports already hold). Wall time and CPU time (user + system) are
both printed: on a busy shared machine CPU time is the steadier of the two; each pair is the run with the lowest
CPU time of `--repeat`.

    python bench/report_bench.py [--sizes 10000,100000] [--repeat 3] [--database-url URL]

Targets (issue #5): report time <= 2x the floor's; peak memory under 300 MB; both growing no faster than
linearly with the record count.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import platform
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert, select, text  # noqa: E402

from persona_store.db import make_engine, make_session_factory, upgrade  # noqa: E402
from persona_store.models import (  # noqa: E402
    AttributeCheck,
    CheckinRound,
    Feedback,
    Participation,
    Persona,
    RosterMember,
    Workspace,
)
from persona_store.quarters import Quarter, quarters_between  # noqa: E402

TEAM = "T0BENCH"
PERSONAS = 20
REPS = 200
QUARTERS = quarters_between(Quarter(2025, 1), Quarter(2026, 4))
ROLES = ("sales", "success", "onboarding", "marketing")
VERDICTS = ("matches", "partly", "doesnt", "not_seen")
CHUNK = 10_000


# --- building the database ----------------------------------------------------------------------------------------


def build_database(url: str, records: int, seed: int = 5) -> None:
    rng = random.Random(seed)
    engine = make_engine(url)
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    upgrade(engine)
    now = datetime(2027, 1, 15, tzinfo=UTC)
    with engine.begin() as conn:
        ws = conn.execute(insert(Workspace).values(team_id=TEAM, name="Bench", created_at=now).returning(Workspace.id))
        workspace_id = ws.scalar_one()
        persona_ids = []
        for i in range(PERSONAS):
            pid = conn.execute(
                insert(Persona)
                .values(
                    workspace_id=workspace_id,
                    key=f"persona-{i}",
                    name=f"Persona {i:02d}",
                    name_folded=f"persona {i:02d}",
                    role=f"Role {i}",
                    goals=[f"Goal {i}"],
                    pain_points=[f"Pain {i}"],
                    objections=[f"Objection {i}"],
                    created_at=now,
                    revised_at=now - timedelta(days=rng.randint(0, 400)),
                    reviewed_at=now,
                )
                .returning(Persona.id)
            ).scalar_one()
            persona_ids.append(pid)
        reps = [(f"U{i:07d}", ROLES[i % len(ROLES)]) for i in range(REPS)]
        conn.execute(
            insert(RosterMember),
            [
                {
                    "workspace_id": workspace_id,
                    "slack_user_id": uid,
                    "name": f"Rep {uid}",
                    "role": role,
                    "is_manager": False,
                    "created_at": now,
                    "updated_at": now,
                }
                for uid, role in reps
            ],
        )
        round_ids = {}
        for q in QUARTERS:
            rid = conn.execute(
                insert(CheckinRound)
                .values(workspace_id=workspace_id, quarter=q.label, status="closed", due_date=q.start, opened_at=now)
                .returning(CheckinRound.id)
            ).scalar_one()
            round_ids[q.label] = rid
            parts = []
            for uid, role in reps:
                answered = rng.random() < 0.6
                skipped = not answered and rng.random() < 0.3
                parts.append(
                    {
                        "round_id": rid,
                        "slack_user_id": uid,
                        "role": role,
                        "timezone": "UTC",
                        "assigned_at": q.start_at,
                        "sent_at": q.start_at,
                        "answered_at": q.start_at if answered else None,
                        "skipped_at": q.start_at if skipped else None,
                        "skip_reason": "on_leave" if skipped else None,
                        "reminder_count": 0 if answered else rng.randint(0, 2),
                    }
                )
            conn.execute(insert(Participation), parts)
    next_id = 1
    for start in range(0, records, CHUNK):
        count = min(CHUNK, records - start)
        feedback, checks = [], []
        for _ in range(count):
            q = QUARTERS[next_id % len(QUARTERS)]
            uid, role = reps[rng.randrange(REPS)]
            created = q.start_at + timedelta(seconds=rng.randrange(80 * 86400))
            in_round = next_id % 2 == 0
            not_met = rng.random() < 0.05
            chatty = rng.random() < 0.1
            feedback.append(
                {
                    "id": next_id,
                    "workspace_id": workspace_id,
                    "persona_id": persona_ids[next_id % PERSONAS],
                    "revision_number": 1,
                    "round_id": round_ids[q.label] if in_round else None,
                    "submission_key": f"bench-{next_id}",
                    "author_id": uid,
                    "author_role": role,
                    "source": "checkin" if in_round else "adhoc",
                    "fit": None if not_met else rng.randint(1, 5),
                    "not_met": not_met,
                    "missing_text": "They also care about onboarding time" if chatty else "",
                    "objections_text": "=Price is too high" if chatty else "",
                    "evidence_ref": "",
                    "evidence_message": "",
                    "evidence_permalink": "https://example.slack.com/archives/C1/p1" if chatty else "",
                    "created_at": created,
                    "updated_at": created,
                }
            )
            for position, kind in enumerate(("goal", "pain_point", "objection")):
                checks.append(
                    {
                        "feedback_id": next_id,
                        "position": position,
                        "kind": kind,
                        "text": f"{kind} {next_id % PERSONAS}",
                        "verdict": rng.choice(VERDICTS),
                    }
                )
            next_id += 1
        with engine.begin() as conn:
            conn.execute(insert(Feedback), feedback)
            conn.execute(insert(AttributeCheck), checks)
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("SELECT setval('feedback_id_seq', (SELECT max(id) FROM feedback))"))
            conn.execute(text("ANALYZE"))
    engine.dispose()


# --- one measurement, in its own process ----------------------------------------------------------------------------


def _rss_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def _reset_peak() -> None:
    # Linux: writing 5 to clear_refs resets the peak resident set size (VmHWM) of this process.
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def run_floor(url: str) -> int:
    """The same 21 columns as the Responses sheet, one streaming SELECT, appended as they come."""
    from openpyxl import Workbook
    from sqlalchemy import and_, case, func

    engine = make_engine(url)
    verdicts = (
        select(
            AttributeCheck.feedback_id.label("feedback_id"),
            *[func.sum(case((AttributeCheck.verdict == v, 1), else_=0)).label(v) for v in VERDICTS],
        )
        .group_by(AttributeCheck.feedback_id)
        .subquery()
    )
    query = (
        select(
            Feedback.id,
            Feedback.created_at,
            CheckinRound.quarter,
            Persona.name,
            Feedback.revision_number,
            RosterMember.name,
            Feedback.author_id,
            Feedback.author_role,
            Feedback.source,
            Feedback.fit,
            Feedback.not_met,
            Feedback.journey_stage,
            *[verdicts.c[v] for v in VERDICTS],
            Feedback.missing_text,
            Feedback.objections_text,
            Feedback.evidence_ref,
            Feedback.evidence_permalink,
            Feedback.evidence_message,
        )
        .join(Persona, Persona.id == Feedback.persona_id)
        .outerjoin(CheckinRound, CheckinRound.id == Feedback.round_id)
        .outerjoin(
            RosterMember,
            and_(RosterMember.workspace_id == Feedback.workspace_id, RosterMember.slack_user_id == Feedback.author_id),
        )
        .outerjoin(verdicts, verdicts.c.feedback_id == Feedback.id)
        .order_by(Feedback.id)
    )
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Responses")
    count = 0
    with make_session_factory(engine)() as session:
        for row in session.execute(query.execution_options(yield_per=2000)):
            ws.append([row[0], row[1].replace(tzinfo=None), *row[2:]])
            count += 1
    wb.save(io.BytesIO())
    engine.dispose()
    return count


def run_report(url: str) -> int:
    from bot.config import Settings
    from bot.services.reports import ReportService
    from persona_store.quarters import Period

    engine = make_engine(url)
    service = ReportService(make_session_factory(engine), Settings())
    report = service.build(TEAM, Period(QUARTERS[0], QUARTERS[-1]))
    engine.dispose()
    return report.responses


def measure(kind: str, url: str) -> dict[str, Any]:
    # Import everything first, so the peak is the work's, not the imports'.
    import openpyxl  # noqa: F401

    import bot.services.reports  # noqa: F401

    baseline = _rss_kb("VmRSS")
    _reset_peak()
    before = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    rows = run_floor(url) if kind == "floor" else run_report(url)
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    peak = _rss_kb("VmHWM")
    return {
        "kind": kind,
        "rows": rows,
        "seconds": seconds,
        "cpu": cpu,
        "peak_mb": peak / 1024,
        "baseline_mb": baseline / 1024,
    }


def in_subprocess(kind: str, url: str) -> dict[str, Any]:
    output = subprocess.run(
        [sys.executable, __file__, "--measure", kind, "--database-url", url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    result: dict[str, Any] = json.loads(output.strip().splitlines()[-1])
    return result


# --- the comparison ---------------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,100000", help="feedback record counts to measure")
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement (the lowest cpu time is kept)")
    parser.add_argument("--database-url", help="PostgreSQL URL to use instead of a temporary SQLite file")
    parser.add_argument("--measure", choices=("floor", "report"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure, args.database_url)))
        return

    print(f"python {platform.python_version()} on {platform.machine()}, {platform.system()} {platform.release()}")
    results: dict[int, dict[str, dict[str, Any]]] = {}
    with tempfile.TemporaryDirectory(prefix="persona-report-bench-") as folder:
        for size in [int(s) for s in args.sizes.split(",")]:
            url = args.database_url or f"sqlite:///{Path(folder) / f'bench-{size}.db'}"
            started = time.perf_counter()
            build_database(url, size)
            print(
                f"\n{size:,} feedback records ({size * 3:,} verdicts): database built in "
                f"{time.perf_counter() - started:.1f} s ({make_engine(url).dialect.name})"
            )
            best: dict[str, dict[str, Any]] = {}
            for _ in range(args.repeat):
                for kind in ("floor", "report"):
                    run = in_subprocess(kind, url)
                    if kind not in best or run["cpu"] < best[kind]["cpu"]:
                        best[kind] = {**run, "peak_mb": max(run["peak_mb"], best.get(kind, run)["peak_mb"])}
            results[size] = best
            floor, report = best["floor"], best["report"]
            for name, r in (("floor ", floor), ("report", report)):
                print(
                    f"  {name}: wall {r['seconds']:6.2f} s  cpu {r['cpu']:6.2f} s  peak {r['peak_mb']:6.1f} MB"
                    f"  ({r['rows']:,} rows)"
                )
            print(
                f"  report / floor: wall {report['seconds'] / floor['seconds']:.2f}x  "
                f"cpu {report['cpu'] / floor['cpu']:.2f}x  "
                f"peak memory {report['peak_mb'] / floor['peak_mb']:.2f}x  (baseline after imports "
                f"{report['baseline_mb']:.0f} MB)"
            )
    sizes = sorted(results)
    if len(sizes) >= 2:
        small, large = sizes[0], sizes[-1]
        factor = large / small
        for kind in ("floor", "report"):
            t = results[large][kind]["seconds"] / results[small][kind]["seconds"]
            c = results[large][kind]["cpu"] / results[small][kind]["cpu"]
            m = results[large][kind]["peak_mb"] / results[small][kind]["peak_mb"]
            print(
                f"{kind}: {factor:.0f}x the records -> {t:.1f}x the wall time, {c:.1f}x the cpu, "
                f"{m:.2f}x the peak memory"
            )
    print(f"\nload average at the end: {', '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} cpus")
    print(f"recorded {date.today().isoformat()}")


if __name__ == "__main__":
    main()
