"""The Outcomes sheet of the managers' workbook, read back with openpyxl (numbers from tests/outcomes_seed.py)."""

from __future__ import annotations

import io
import re
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.config import Settings
from bot.services import Services
from tests.outcomes_seed import MARY, OMAR, World, seed_world, write_campaigns, write_hubspot

HOSTILE_REASON = "=HYPERLINK(A1)+cmd|calc"


@pytest.fixture
def services(sessions: sessionmaker[Session]) -> Any:
    with ThreadPoolExecutor(1) as pool:
        yield Services.build(Settings.from_env({}), sessions, pool)


@pytest.fixture
def world(sessions: sessionmaker[Session], services: Services, tmp_path: Path) -> World:
    world = seed_world(sessions)
    deals = write_hubspot(tmp_path / "d.csv")
    with deals.open("a", encoding="utf-8") as f:
        f.write(f"OPP-X1,Deal X,Closed Lost,10,2026-07-01,2026-08-02,{HOSTILE_REASON},Demo,Sam,Ops Omar\n")
    assert services.outcomes.import_file(world.team_id, deals).committed
    assert services.outcomes.import_file(world.team_id, write_campaigns(tmp_path / "c.csv"), kind="campaigns").committed
    return world


def rows(sheet: Any) -> list[list[Any]]:
    return [list(r) for r in sheet.iter_rows(values_only=True)]


def find(table: list[list[Any]], first: str) -> list[Any]:
    return next(r for r in table if r and r[0] == first)


def test_the_outcomes_sheet_has_the_figures_signals_and_a_chart(services: Services, world: World) -> None:
    report = services.reports.build(world.team_id, "2026-Q3")
    book = openpyxl.load_workbook(io.BytesIO(report.data))
    assert book.sheetnames[-1] == "Outcomes"
    sheet = book["Outcomes"]
    table = rows(sheet)
    assert table[0][0] == "Outcomes 2026-Q3"
    assert "Change is against 2026-Q2" in table[1][0]
    assert "never change it" in table[2][0]
    header = table[4]
    mary = dict(zip(header, find(table, MARY), strict=False))
    assert round(mary["Mean fit (1–5)"], 2) == 4.33 and mary["Ratings"] == 6
    assert (mary["Won"], mary["Lost"], mary["n (won + lost)"]) == (2, 8, 10)
    assert mary["Win rate"] == pytest.approx(0.2) and mary["Previous win rate"] == pytest.approx(0.5)
    assert mary["Win rate change"] == pytest.approx(-0.3)
    assert mary["Median sales cycle (days)"] == 40 and mary["Median amount (won)"] == 15000
    assert mary["Top lost reasons"] == "Price (4); Timing (3); (no reason given) (1)"
    assert mary["Most drop-off at"] == "Evaluation" and mary["Share lost there"] == pytest.approx(0.625)
    assert mary["Campaign messages sent"] == 1000 and mary["Conversion"] == pytest.approx(0.015)
    assert mary["Previous conversion"] == pytest.approx(0.04)
    assert mary["Engagement (clicks ÷ sent)"] == pytest.approx(0.08)
    assert (mary["Fit on won deals"], mary[header[-4]]) == (4.0, 4.0)
    omar = dict(zip(header, find(table, OMAR), strict=False))
    assert (omar["Won"], omar["Lost"], omar["Ratings"]) == (6, 3, 0)
    assert find(table, "All deals")[4:8] == [14, 13, pytest.approx(14 / 27), 27]
    assert find(table, "No persona matched")[4:6] == [1, 1]

    signals = [r for r in table if r and r[1] and str(r[1]).startswith(("Reps say", "Reps rarely", "On deals"))]
    assert signals[0][0] == MARY
    assert signals[0][1].startswith(
        "Reps say Marketing Director Mary fits (4.3), but the win rate fell from 50% to 20%"
    )
    assert all(str(r[13]).startswith("Rule: ") for r in signals)

    trend_header = next(r for r in table if r[:3] == ["Persona", "2026-Q2", "2026-Q3"])
    assert trend_header[3] is None  # just the two quarters on record
    assert find(table, f"{MARY}: win rate")[1:3] == [pytest.approx(0.5), pytest.approx(0.2)]
    assert round(find(table, f"{MARY}: fit")[2], 2) == 4.33
    assert len(sheet._charts) == 1  # win rate and fit per persona over time
    with zipfile.ZipFile(io.BytesIO(report.data)) as archive:
        charts = [archive.read(n).decode() for n in archive.namelist() if n.startswith("xl/charts/chart")]
    outcome_chart = next(c for c in charts if "'Outcomes'" in c)
    series_rows = [int(n) for n in re.findall(r"<f>'Outcomes'!A(\d+)</f>", outcome_chart)]
    labels = {i: r[0] for i, r in enumerate(table, 1)}
    assert [labels[n] for n in series_rows] == [
        *(f"{name}: win rate" for name in ("Finance Fiona", MARY, OMAR)),
        *(f"{name}: fit" for name in ("Finance Fiona", MARY, OMAR)),
    ]

    # A CRM's free text is data, never a formula.
    cell = next(c for r in sheet.iter_rows() for c in r if isinstance(c.value, str) and "HYPERLINK" in c.value)
    assert cell.data_type == "s"


def test_no_imports_no_outcomes_sheet(services: Services, sessions: sessionmaker[Session]) -> None:
    world = seed_world(sessions, team_id="T0NOOUT")
    report = services.reports.build(world.team_id, "2026-Q3")
    assert "Outcomes" not in openpyxl.load_workbook(io.BytesIO(report.data)).sheetnames
