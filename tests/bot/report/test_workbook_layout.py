"""How the managers' workbook looks and prints: read back with openpyxl from ReportService's bytes."""

from __future__ import annotations

import io
import re
from datetime import datetime

import openpyxl
import pytest
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy.orm import Session, sessionmaker

from bot.config import Settings
from bot.render import render_part
from bot.report.cells import header_width, row_height, wrapped_lines
from bot.report.workbook import VERDICT_COLOURS, WORST_FIRST
from bot.services.reports import ReportService
from persona_store.evidence import Verdict
from persona_store.models import Feedback
from tests.reports_many import NOW as MANY_NOW
from tests.reports_many import TEAM as MANY_TEAM
from tests.reports_many import seed_many
from tests.reports_seed import HOSTILE_MISSING, NOW, seed_world


def build(sessions: sessionmaker[Session], team: str = "T0REPORT", now: datetime = NOW) -> openpyxl.Workbook:
    report = ReportService(sessions, Settings()).build(team, "2026-Q3", now=now)
    return openpyxl.load_workbook(io.BytesIO(report.data))


def header(ws: Worksheet, first: str = "Persona") -> tuple[int, list[str]]:
    for row in ws.iter_rows():
        if row[0].value == first:
            return row[0].row, [str(c.value) for c in row if c.value is not None]
    raise AssertionError(f"no header starting {first!r}")


def table(ws: Worksheet, first: str = "Persona") -> list[dict[str, object]]:
    row_number, names = header(ws, first)
    rows = []
    for row in ws.iter_rows(min_row=row_number + 1, values_only=True):
        if row[0] is None:
            break
        rows.append(dict(zip(names, row, strict=False)))
    return rows


@pytest.fixture
def seeded(sessions: sessionmaker[Session]) -> openpyxl.Workbook:
    seed_world(sessions)
    return build(sessions)


def test_summary_print_setup(seeded: openpyxl.Workbook) -> None:
    ws = seeded["Summary"]
    header_row, names = header(ws)
    assert ws.page_setup.orientation == "landscape"
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert (ws.page_setup.fitToWidth, ws.page_setup.fitToHeight) == (1, 1)
    assert ws.print_title_rows == f"${header_row}:${header_row}"
    last_col = get_column_letter(len(names) - 1)  # the hidden threshold column is not printed
    assert re.fullmatch(rf"'Summary'!\$A\$1:\${last_col}\$\d+", ws.print_area)
    printed_to = int(ws.print_area.rsplit("$", 1)[1])
    assert printed_to > header_row + 4 + 15, "the chart below the table is printed too"
    assert ws.page_margins.left <= 0.5 and ws.page_margins.right <= 0.5
    for sheet in ("Attributes", "Themes", "Comments", "Participation"):
        other = seeded[sheet]
        assert other.page_setup.orientation == "landscape" and other.print_title_rows == "$1:$1", sheet
        assert other.page_setup.fitToWidth == 1 and other.page_setup.fitToHeight == 0, sheet


def test_more_than_twenty_personas_print_on_as_many_pages_as_needed(sessions: sessionmaker[Session]) -> None:
    seed_many(sessions, 21)
    ws = build(sessions, MANY_TEAM, MANY_NOW)["Summary"]
    assert ws.page_setup.fitToWidth == 1 and ws.page_setup.fitToHeight == 0


def test_headers_are_wide_enough_for_their_longest_word_and_rows_tall_enough(seeded: openpyxl.Workbook) -> None:
    for sheet in ("Summary", "Attributes", "Themes", "Comments", "Responses", "Participation"):
        ws = seeded[sheet]
        first = {"Comments": "Date (UTC)", "Responses": "ID", "Participation": "Rep"}.get(sheet, "Persona")
        row_number, names = header(ws, first)
        for index, name in enumerate(names, 1):
            width = ws.column_dimensions[get_column_letter(index)].width
            longest = max(len(word) for word in name.split())
            assert width >= longest + 2, f"{sheet}: {name!r} in a column {width} wide"
            assert ws.cell(row=row_number, column=index).alignment.wrap_text
        height = ws.row_dimensions[row_number].height
        needed = max(wrapped_lines(n, ws.column_dimensions[get_column_letter(i)].width) for i, n in enumerate(names, 1))
        assert height >= needed * 15, f"{sheet}: header row {height} pt for {needed} lines"


def test_summary_is_worst_first_with_friendly_words(seeded: openpyxl.Workbook) -> None:
    rows = table(seeded["Summary"])
    verdicts = [Verdict(str(r["Verdict"])) for r in rows]
    assert verdicts == sorted(verdicts, key=WORST_FIRST.index)
    assert [r["Persona"] for r in rows] == ["Charlie", "Bravo", "Delta", "Alpha"]
    assert {r["Status"] for r in rows} == {"Active"}
    _, names = header(seeded["Summary"])
    assert "Customer success fit" in names and "Success fit" not in names


def test_what_to_change_names_the_most_disputed_statement_and_the_top_missing_theme(
    seeded: openpyxl.Workbook,
) -> None:
    ws = seeded["Summary"]
    rows = {r["Persona"]: r for r in table(ws)}
    assert rows["Bravo"]["What to change"] == "Disputed: “Too many tools” (0% agree)."
    assert rows["Alpha"]["What to change"] is None, "88% agreement with one partly is no dispute"
    charlie = str(rows["Charlie"]["What to change"])
    assert charlie.startswith("Missing: ") and "(1 person)" in charlie
    header_row, names = header(ws)
    col = names.index("What to change") + 1
    for offset in range(4):
        cell = ws.cell(row=header_row + 1 + offset, column=col)
        assert cell.value is None or (cell.data_type == "s" and cell.alignment.wrap_text)


def test_verdict_colours_match_home_through_conditional_formatting(seeded: openpyxl.Workbook) -> None:
    ws = seeded["Summary"]
    header_row, names = header(ws)
    col = get_column_letter(names.index("Verdict") + 1)
    rules = {}
    for formatting in ws.conditional_formatting:
        assert str(formatting.sqref) == f"{col}{header_row + 1}:{col}{header_row + 4}"
        for rule in formatting.rules:
            rules[rule.formula[0].strip('"')] = rule.dxf.fill.fgColor.rgb[-6:]
    assert rules == {v.value: fill for v, (fill, _) in VERDICT_COLOURS.items()}
    emoji = {"🟢": "green", "🟠": "orange", "🔴": "red", "⚪": "grey"}
    families = {"C6EFCE": "green", "FFD8B1": "orange", "FFC7CE": "red", "EDEDED": "grey"}
    for verdict in Verdict:
        home = render_part("evidence", "verdict_word", verdict.value)  # Home words verdicts with it
        assert families[rules[verdict.value]] == emoji[home[0]], f"{verdict} is {home} on Home"
    assert rules["needs review"] == "FFC7CE", "needs review is red, as on Home"


def test_attributes_least_agreed_first_with_role_labels_and_tall_rows(sessions: sessionmaker[Session]) -> None:
    seed_many(sessions, 3)
    ws = build(sessions, MANY_TEAM, MANY_NOW)["Attributes"]
    rows = table(ws)
    totals = [r for r in rows if r["Role"] == "All roles"]
    agreements = [float(str(r["Agreement"])) for r in totals if r["Agreement"] is not None]
    assert agreements == sorted(agreements) and len(totals) == 9
    roles = {str(r["Role"]) for r in rows}
    assert roles <= {"All roles", "Sales", "Customer success", "Onboarding", "Marketing"}
    assert {r["Kind"] for r in rows} == {"Pain point"}
    width = ws.column_dimensions["C"].width
    for row in ws.iter_rows(min_row=2):
        text = str(row[2].value)
        assert row[2].alignment.wrap_text
        assert ws.row_dimensions[row[0].row].height >= row_height([(text, width)]), text


def test_themes_sheet_groups_free_text_and_keeps_hostile_text_as_text(seeded: openpyxl.Workbook) -> None:
    ws = seeded["Themes"]
    assert ws.freeze_panes == "A2"
    rows = table(ws)
    assert {r["Persona"] for r in rows} == {"Charlie"}
    kinds = {str(r["Kind"]) for r in rows}
    assert kinds == {"What's missing", "Objection heard"}
    assert all(isinstance(r["People"], int) and r["People"] >= 1 for r in rows)
    hostile = next(r for r in rows if r["Example"] == HOSTILE_MISSING)
    assert hostile["Roles"] == "Sales" and hostile["Kind"] == "What's missing"
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            if isinstance(cell.value, str) and cell.value.startswith(("=", "+", "-", "@")):
                assert cell.data_type == "s" and cell.quotePrefix, cell.coordinate


def test_themes_sheet_counts_people_per_theme(sessions: sessionmaker[Session]) -> None:
    seed_many(sessions, 4)
    rows = table(build(sessions, MANY_TEAM, MANY_NOW)["Themes"])
    assert rows, "the busy world has free text"
    assert all(str(r["Roles"]) for r in rows)
    per_persona: dict[object, list[int]] = {}
    for r in rows:
        if r["Kind"] == "What's missing":
            per_persona.setdefault(r["Persona"], []).append(int(str(r["People"])))
    for counts in per_persona.values():
        assert counts == sorted(counts, reverse=True), "most people first"


def test_a_quarter_without_free_text_says_so_on_themes(sessions: sessionmaker[Session]) -> None:
    seed_many(sessions, 1)
    with sessions.begin() as s:
        s.query(Feedback).update({Feedback.missing_text: "", Feedback.objections_text: ""})
    ws = build(sessions, MANY_TEAM, MANY_NOW)["Themes"]
    assert ws["A2"].value == render_part("reports", "no_themes", "2026-Q3")


def test_charts_have_an_overall_series_the_validated_line_markers_and_one_scale(seeded: openpyxl.Workbook) -> None:
    bar = seeded["Summary"]._charts[0]
    titles = [s.tx.v for s in bar.series]
    assert titles == ["Overall", "Sales", "Customer success", "Onboarding"]
    (line,) = bar._charts[1:]
    assert line.tagname == "lineChart" and [s.tx.v for s in line.series] == ["Validated (4.0)"]
    assert bar.visible_cells_only is False, "the threshold's hidden column is still plotted"
    trend = seeded["Trend"]._charts[0]
    for chart in (bar, trend):
        assert (chart.y_axis.scaling.min, chart.y_axis.scaling.max) == (0, 5)
    persona_lines = trend.series[:-1]
    assert all(s.marker.symbol == "circle" for s in persona_lines), "a single quarter shows as a dot"
    assert trend.series[-1].tx.v == "Validated (4.0)" and trend.series[-1].graphicalProperties.line.prstDash == "dash"
    rows = list(seeded["Trend"].iter_rows(values_only=True))
    assert rows[-1][0] == "Validated at (4.0)" and set(rows[-1][1:]) == {4.0}


def test_header_width_and_wrapping_rules() -> None:
    assert header_width("Onboarding respondents") >= len("respondents") + 2
    assert header_width("Previous mean (2026-Q2)") >= len("mean (2026-Q2)") + 2, "no break after the hyphen"
    assert header_width("Mean fit (1–5)") >= len("Mean fit (1–5)"), "else “(1–” ends the first line"
    assert header_width("ID", 8) == 8
    assert wrapped_lines("one two three", 40) == 1
    assert wrapped_lines("one two three", 6) == 3
    assert wrapped_lines("x" * 25, 11) == 3, "a long word is broken over as many lines as it needs"
    assert wrapped_lines("a\nb", 40) == 2
