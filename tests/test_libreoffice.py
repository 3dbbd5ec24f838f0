"""The workbook opens cleanly in LibreOffice: every sheet converts headless, and hostile text stays text.

Needs `soffice` (Debian: `apt-get install -y libreoffice-calc-nogui`; `.ci/run` installs it). Without it this
test is skipped on a laptop, and fails in CI (PERSONA_BOT_REQUIRE_ALL): a spreadsheet nobody has opened in a real
spreadsheet app is not checked.
"""

from __future__ import annotations

import csv
import shutil
import subprocess
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from bot.config import Settings
from bot.services.reports import ReportService
from tests.conftest import require
from tests.reports_seed import HOSTILE_EVIDENCE, HOSTILE_MISSING, HOSTILE_OBJECTION, NOW, seed_world

# Comma-separated, double quotes, UTF-8, from line 1, …, "-1": every sheet to its own file (LibreOffice ≥ 7.2).
CSV_FILTER = "csv:Text - txt - csv (StarCalc):44,34,UTF8,1,,0,false,true,false,false,false,-1"


def soffice() -> str:
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if found is None:
        require("LibreOffice", "run `apt-get install -y libreoffice-calc-nogui` (.ci/run does this)")
    return found


def convert(workbook: Path, out: Path, profile: Path) -> dict[str, list[list[str]]]:
    result = subprocess.run(
        [
            soffice(),
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--norestore",
            "--convert-to",
            CSV_FILTER,
            "--outdir",
            str(out),
            str(workbook),
        ],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    sheets: dict[str, list[list[str]]] = {}
    for path in out.glob(f"{workbook.stem}-*.csv"):
        with path.open(encoding="utf-8", newline="") as handle:
            sheets[path.stem.removeprefix(f"{workbook.stem}-")] = list(csv.reader(handle))
    return sheets


def test_libreoffice_reads_every_sheet_with_the_same_numbers(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    seed_world(sessions)
    report = ReportService(sessions, Settings()).build("T0REPORT", "2026-Q3", now=NOW)
    workbook = tmp_path / report.filename
    workbook.write_bytes(report.data)

    sheets = convert(workbook, tmp_path / "out", tmp_path / "lo-profile")

    assert set(sheets) == {"Summary", "Attributes", "Trend", "Comments", "Responses", "Participation"}
    summary = sheets["Summary"]
    header = next(i for i, row in enumerate(summary) if row and row[0] == "Persona")
    columns = summary[header]
    alpha = dict(zip(columns, summary[header + 1], strict=False))
    assert alpha["Persona"] == "Alpha" and alpha["Verdict"] == "validated"
    assert alpha["Mean fit (1–5)"] == "4.5" and alpha["Change"] == "1.5"
    assert alpha["Statement agreement"] == "87.5%" and alpha["Last reviewed (UTC)"] == "2026-09-01"
    comments = [row[6] for row in sheets["Comments"][1:]]
    for hostile in (HOSTILE_MISSING, HOSTILE_OBJECTION, HOSTILE_EVIDENCE):
        assert hostile in comments, "text that looks like a formula is shown as typed, not evaluated"
    assert not any(value in ("#NAME?", "Err:508", "#VALUE!") for sheet in sheets.values() for r in sheet for value in r)
    assert len(sheets["Responses"]) == 14
    # Asked, answered, skipped, unreachable, silent, not sent yet, answered ÷ (asked − skipped).
    assert sheets["Participation"][-1][:8] == ["All roles", "5", "2", "1", "1", "1", "0", "50%"]
