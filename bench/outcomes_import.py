"""`persona-bot outcomes import` of 200,000 deal rows against a plain `csv` read of the same file.

The file: a HubSpot-shaped deal export (10 columns: id, name, stage, amount, create and close dates, lost reason,
drop-off stage, owner, persona), 200,000 rows over 12 personas (persona names in the export's own spelling, one in
twenty unmatched), about a third won, a third lost, a third open. The import is `OutcomesService.import_file`:
header detection, parsing and validating every date and amount, fuzzy persona matching, and batched
`INSERT … ON CONFLICT DO UPDATE` in one transaction, into a fresh database (first run) and again into the
same one (every row an update). The baseline: `for row in csv.reader(file)`, nothing else.

Peak memory is this process's peak resident set (VmHWM) during the import, reset just before it, so it includes
the interpreter and the imports (about 90 MB).

    python bench/outcomes_import.py [--rows 200000] [--repeat 3] [--database-url URL]

Targets (issue #16): import time <= 3x the plain read; peak memory under 300 MB.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import os
import platform
import random
import sqlite3
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402

from bot.config import Settings  # noqa: E402
from bot.services.outcomes import OutcomesService  # noqa: E402
from persona_store.db import make_engine, make_session_factory, upgrade  # noqa: E402
from persona_store.models import Persona, Workspace  # noqa: E402

TEAM = "T0BENCH"
PERSONAS = [
    ("Marketing Director Mary", "Marketing Director"),
    ("Ops Omar", "Operations"),
    ("Finance Fiona", "CFO"),
    ("IT Ivan", "IT Manager"),
    ("Sales Sam", "Sales Lead"),
    ("Founder Fran", "Founder"),
    ("Procurement Pat", "Procurement"),
    ("Engineer Eli", "Engineering Manager"),
    ("HR Hana", "People Lead"),
    ("Legal Lee", "Counsel"),
    ("Support Sue", "Support Lead"),
    ("Data Dan", "Analyst"),
]
STAGES = ["Discovery", "Demo", "Evaluation", "Proposal", "Negotiation"]
REASONS = ["Price", "Timing", "Competitor", "No budget", "Champion left", ""]


def write_export(path: Path, rows: int, seed: int = 16) -> None:
    rng = random.Random(seed)
    spellings = [name for name, _ in PERSONAS] + [n.lower() for n, _ in PERSONAS] + ["Marketing Directer Mary"]
    start = date(2025, 1, 1)
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(
            [
                "Record ID",
                "Deal Name",
                "Deal Stage",
                "Amount",
                "Create Date",
                "Close Date",
                "Closed Lost Reason",
                "Last Stage Before Lost",
                "Deal owner",
                "Persona",
            ]
        )
        for i in range(rows):
            created = start + timedelta(days=rng.randrange(600))
            fate = rng.random()
            stage = rng.choice(STAGES)
            closed = created + timedelta(days=rng.randrange(5, 180))
            persona = "Unknown Uma" if i % 20 == 0 else rng.choice(spellings)
            if fate < 0.34:
                row = ["Closed Won", closed.isoformat(), "", ""]
            elif fate < 0.67:
                row = ["Closed Lost", closed.isoformat(), rng.choice(REASONS), stage]
            else:
                row = [stage, "", "", ""]
            w.writerow(
                [
                    str(10_000_000 + i),
                    f"Deal {i}",
                    row[0],
                    f"{rng.randrange(500, 200_000)}.{rng.randrange(100):02d}",
                    f"{created.isoformat()} 10:{i % 60:02d}",
                    row[1],
                    row[2],
                    row[3],
                    "Sam Seller",
                    persona,
                ]
            )


def plain_read(path: Path) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of reading every row with the csv module and nothing else."""
    start, cpu = time.perf_counter(), time.process_time()
    with path.open(newline="", encoding="utf-8") as f:
        for _row in csv.reader(f):
            pass
    return time.perf_counter() - start, time.process_time() - cpu


# The floor: what any import that stores every row pays before it checks anything. Every row is read with
# `csv.reader` and written as it stands (the cells, the workspace, constants for what the import derives) into the
# real `deals` table, with its unique key and foreign keys, in one transaction, by the driver's fastest path:
# `executemany` of one prepared INSERT on SQLite, `COPY` on PostgreSQL. No date, amount or persona is looked at.
_FLOOR_COLUMNS = (
    "workspace_id, deal_key, deal_id, name, stage, lost_stage, outcome, amount_cents, created_on, closed_on, "
    "lost_reason, persona_label, updated_at"
)


def floor_write(engine: Any, path: Path, workspace_id: int) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of reading every row and storing it unchecked (see `_FLOOR_COLUMNS`)."""
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM deals"))
    start, cpu = time.perf_counter(), time.process_time()
    with engine.begin() as conn, path.open(newline="", encoding="utf-8") as f:
        rows = csv.reader(f)
        next(rows)
        # id, name, stage, amount, created, closed, lost reason, lost stage, owner, persona
        values = ((workspace_id, r[0], r[0], r[1], r[2], r[7], "open", 0, None, None, r[6], r[9], "now") for r in rows)
        dbapi = conn.connection.dbapi_connection
        if engine.dialect.name == "postgresql":
            with dbapi.cursor().copy(f"COPY deals ({_FLOOR_COLUMNS}) FROM STDIN") as copy:
                for row in values:
                    copy.write_row(row)
        else:
            marks = ", ".join("?" * len(_FLOOR_COLUMNS.split(", ")))
            dbapi.cursor().executemany(f"INSERT INTO deals ({_FLOOR_COLUMNS}) VALUES ({marks})", values)
    return time.perf_counter() - start, time.process_time() - cpu


def _create_database(url: str) -> None:
    """A PostgreSQL database the bench may wipe: created when missing."""
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    target = make_url(url)
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": target.database}).first()
        if not exists:
            conn.execute(text(f'CREATE DATABASE "{target.database}"'))
    admin.dispose()


def _reset_peak() -> None:
    # Linux: writing 5 to clear_refs resets the peak resident set size (VmHWM) of this process.
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def _peak_mb() -> float:
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--database-url", help="a database the bench may wipe (default: a temporary SQLite file)")
    parser.add_argument(
        "--repeat",
        type=int,
        default=3,
        help="rounds of (empty the table, import, re-import); the best of each is shown",
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="outcomes-bench-") as folder:
        export = Path(folder) / "deals.csv"
        write_export(export, args.rows)
        size_mb = export.stat().st_size / 1e6
        url = args.database_url or f"sqlite:///{Path(folder) / 'bench.db'}"
        if url.startswith("postgresql"):
            _create_database(url)
        engine = make_engine(url)
        if engine.dialect.name == "postgresql":
            with engine.begin() as conn:
                conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        upgrade(engine)
        sessions = make_session_factory(engine)
        with sessions.begin() as s:
            ws = Workspace(team_id=TEAM, name="Bench")
            s.add(ws)
            s.flush()
            for name, role in PERSONAS:
                key = name.lower().replace(" ", "-")
                s.add(Persona(workspace_id=ws.id, key=key, name=name, name_folded=name.casefold(), role=role))
        service = OutcomesService(sessions, Settings.from_env({}))

        plain_read(export)  # warm the page cache for both
        reads = [plain_read(export) for _ in range(3)]
        baseline, baseline_cpu = min(r[0] for r in reads), min(r[1] for r in reads)
        # Each round starts from an empty table; on a shared machine the best round is the least disturbed one.
        rounds: dict[str, list[tuple[float, float, float, Any]]] = {}
        for _ in range(max(1, args.repeat)):
            with engine.begin() as conn:
                conn.execute(text("DELETE FROM deals"))
            for label in ("first import (inserts)", "re-import (updates)"):
                _reset_peak()
                start, cpu = time.perf_counter(), time.process_time()
                report = service.import_file(TEAM, export, kind="deals")
                seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu
                rounds.setdefault(label, []).append((seconds, cpu_seconds, _peak_mb(), report))
        # After the imports, in the same state each of their rounds started from (an emptied table).
        floors = [floor_write(engine, export, ws.id) for _ in range(max(1, args.repeat))]
        floor, floor_cpu = min(f[0] for f in floors), min(f[1] for f in floors)
        results = [
            (label, min(r[0] for r in runs), min(r[1] for r in runs), max(r[2] for r in runs), runs[-1][3])
            for label, runs in rounds.items()
        ]
        walls = {label: ", ".join(f"{r[0]:.2f}" for r in runs) for label, runs in rounds.items()}
        engine.dispose()

    print(
        f"{args.rows:,} rows ({size_mb:.1f} MB) on {engine.dialect.name}; Python {platform.python_version()}, "
        f"SQLite {sqlite3.sqlite_version}, {os.cpu_count()} CPUs"
    )
    print(f"plain csv read: {baseline:.3f} s wall, {baseline_cpu:.3f} s CPU")
    print(
        f"floor (every row read and stored as it stands, nothing checked): {floor:.3f} s wall = "
        f"{floor / baseline:.2f}x the plain read, {floor_cpu:.3f} s CPU = {floor_cpu / baseline_cpu:.2f}x"
    )
    for label, seconds, cpu_seconds, peak, report in results:
        print(
            f"{label}: {seconds:.3f} s wall = {seconds / baseline:.2f}x the plain read (target <= 3x), "
            f"{cpu_seconds:.3f} s CPU = {cpu_seconds / baseline_cpu:.2f}x; peak memory {peak:.0f} MB "
            f"(target < 300 MB); {report.written:,} written ({report.new:,} new, {report.updated:,} updated), "
            f"{report.unmatched_rows:,} unmatched; every round's wall: {walls[label]} s"
        )


if __name__ == "__main__":
    main()
