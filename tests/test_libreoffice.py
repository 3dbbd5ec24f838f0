"""The workbook opens cleanly in LibreOffice: every sheet converts headless, and hostile text stays text.

Needs `soffice` (Debian: `apt-get install -y libreoffice-calc-nogui`) and, to read the printed pages, `pdftotext`
and `pdfinfo` (`poppler-utils`); `.ci/run` installs both. Without them these tests are skipped on a laptop, and fail
in CI (PERSONA_BOT_REQUIRE_ALL): a spreadsheet nobody has opened (or printed) in a real spreadsheet app is not
checked.
"""

from __future__ import annotations

import csv
import html
import io
import re
import shutil
import subprocess
from pathlib import Path

import openpyxl
from openpyxl.utils import get_column_letter
from sqlalchemy.orm import Session, sessionmaker

from bot.config import Settings
from bot.services.reports import ReportService
from tests.conftest import require
from tests.reports_many import NOW as MANY_NOW
from tests.reports_many import TEAM as MANY_TEAM
from tests.reports_many import seed_many
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

    assert set(sheets) == {
        "Summary",
        "Attributes",
        "Themes",
        "Trend",
        "Comments",
        "Responses",
        "Participation",
        "Coverage",
    }
    summary = sheets["Summary"]
    header = next(i for i, row in enumerate(summary) if row and row[0] == "Persona")
    columns = summary[header]
    alpha = dict(zip(columns, next(r for r in summary[header + 1 :] if r[0] == "Alpha"), strict=False))
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


def pdftotext() -> str:
    found = shutil.which("pdftotext")
    if found is None:
        require("pdftotext", "run `apt-get install -y poppler-utils` (.ci/run does this)")
    return found


def to_pdf(workbook: Path, out: Path, profile: Path) -> Path:
    result = subprocess.run(
        [
            soffice(),
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--norestore",
            "--convert-to",
            "pdf",
            "--outdir",
            str(out),
            str(workbook),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return out / f"{workbook.stem}.pdf"


def pdf_pages(pdf: Path) -> list[str]:
    """The text of each printed page (form feeds separate pages in pdftotext's output)."""
    result = subprocess.run([pdftotext(), str(pdf), "-"], capture_output=True, text=True, timeout=120, check=True)
    return result.stdout.split("\f")[:-1]


def page_size(pdf: Path, page: int) -> tuple[float, float]:
    info = subprocess.run(
        ["pdfinfo", "-f", str(page), "-l", str(page), str(pdf)], capture_output=True, text=True, check=True
    ).stdout
    line = next(line for line in info.splitlines() if "size:" in line)  # "Page    1 size: 792 x 612 pts (letter)"
    width, height = line.split("size:")[1].split("pts")[0].split(" x ")
    return float(width), float(height)


def header_words(pdf: Path, first: str, last_rule_word: str) -> set[str]:
    """The words printed in page 1's header row: below the verdict rule, down to the header's first word."""
    result = subprocess.run(
        [pdftotext(), "-f", "1", "-l", "1", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True
    )
    found = [
        (float(y_min), float(y_max), html.unescape(word))
        for y_min, y_max, word in re.findall(
            r'yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">([^<]*)</word>', result.stdout
        )
    ]
    _, header_bottom, _ = [w for w in found if w[2] == first][1]  # the first "Persona" is the title's
    rule_bottom = max(y_max for _, y_max, word in found if word == last_rule_word and y_max < header_bottom)
    return {word for y_min, y_max, word in found if y_min > rule_bottom and y_max <= header_bottom + 0.5}


def test_the_summary_prints_on_one_landscape_page_for_20_personas_without_a_broken_word(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    seed_many(sessions, 20)
    report = ReportService(sessions, Settings()).build(MANY_TEAM, "2026-Q3", now=MANY_NOW)
    workbook = tmp_path / report.filename
    workbook.write_bytes(report.data)
    summary = openpyxl.load_workbook(io.BytesIO(report.data))["Summary"]
    rows = list(summary.iter_rows(values_only=True))
    header_index = next(i for i, row in enumerate(rows) if row and row[0] == "Persona")
    headers = [
        h
        for i, h in enumerate(rows[header_index], 1)
        if h and not summary.column_dimensions[get_column_letter(i)].hidden  # the chart's threshold column
    ]
    names = [row[0] for row in rows[header_index + 1 : header_index + 21]]
    rule = [str(row[0]) for row in rows[1:header_index] if row and row[0]]

    pdf = to_pdf(workbook, tmp_path / "pdf", tmp_path / "lo-profile")
    pages = pdf_pages(pdf)

    with_summary_header = [i for i, text in enumerate(pages) if "What to change" in " ".join(text.split())]
    assert with_summary_header == [0], "the Summary is the first page and only that page"
    width, height = page_size(pdf, 1)
    assert width > height, "landscape"
    words = set(pages[0].split())
    printed = header_words(pdf, first=headers[0], last_rule_word=rule[-1].split()[-1])
    for header in headers:
        for word in header.split():
            assert word in printed, f"the header {header!r} is printed with {word!r} whole, not as {printed}"
    for name in names:
        assert all(word in words for word in name.split()), f"{name} is on the Summary page"
    for line in rule:
        missing = [word for word in line.split() if word not in words]
        assert not missing, f"the line {line!r} is printed whole, without {missing}"
