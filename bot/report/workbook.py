"""The managers' workbook (openpyxl, write-only so the raw sheet streams): bytes out.

Every figure comes from the evidence model (`persona_store.evidence`); this module only lays it out. A figure the
minimum group withholds (anonymous ratings) is written as the words "fewer than N people", never as a number.

Layout: every sheet prints landscape, tables repeat their header row and fit the page's width (the Summary its whole
page, up to ONE_PAGE_PERSONAS personas); a column is as wide as its header's longest word, and rows are as tall as
their wrapped text. Codes never show: roles, sources, stages and kinds read as in Slack (`bot.labels`).

Hygiene for every piece of user text: control characters stripped, capped at Excel's 32,767 characters, and
stored as a text cell (never a formula or an error value: openpyxl turns "=…" into a live formula). Datetimes
are written as naive UTC values and every date header says "(UTC)".
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.chart.axis import ChartLines
from openpyxl.chart.series import Series
from openpyxl.chart.series_factory import SeriesFactory
from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from bot.labels import comment_kind_label, kind_label, role_label, source_label, stage_label, status_label
from bot.render import render_part
from bot.report.cells import (
    FMT_DATE,
    FMT_DELTA,
    FMT_MEAN,
    FMT_SHARE,
    Cells,
    header_width,
    naive_utc,
    row_height,
    setup_sheet,
)
from bot.report.outcomes_sheet import OutcomesSheet, write_outcomes_sheet
from persona_store.evidence import (
    FRONT_LINE_ROLES,
    VALIDATED_MIN_MEAN,
    VERDICT_KEYS,
    Evidence,
    Fit,
    PersonaEvidence,
    ResponseRate,
    StatementAgreement,
    StatementCoverage,
    Verdict,
    VerdictCounts,
)
from persona_store.evidence import WORST_FIRST as WORST_FIRST  # the test and other modules read it from here
from persona_store.evidence import worst_first as evidence_worst_first
from persona_store.models import FEEDBACK_ROLES, ROLES
from persona_store.quarters import quarter_of
from persona_store.report_rows import RESPONSE_COLUMNS, Comment, RepParticipation
from persona_store.themes import PersonaThemes, Theme

SHEETS = ("Summary", "Attributes", "Themes", "Trend", "Comments", "Responses", "Participation", "Coverage")
VERDICT_TITLES = {"matches": "Matches", "partly": "Partly", "doesnt": "Doesn't", "not_seen": "Not seen"}
ANONYMOUS = "anonymous"
WITHHELD = "withheld"
ONE_PAGE_PERSONAS = 20  # the Summary prints on one landscape page up to this many personas

# The colours of Home's verdict emoji (prompts/evidence.j2 verdict_word): 🟢 validated, 🟠 contested, 🔴 needs review,
# ⚪ not enough data. (fill, text) pairs, applied by conditional formatting so an edited cell recolours itself.
VERDICT_COLOURS = {
    Verdict.VALIDATED: ("C6EFCE", "006100"),
    Verdict.CONTESTED: ("FFD8B1", "8A4500"),
    Verdict.NEEDS_REVIEW: ("FFC7CE", "9C0006"),
    Verdict.NOT_ENOUGH_DATA: ("EDEDED", "404040"),
}
# Worst first, in Home's order: what needs a decision before what merely lacks data, before what is fine.
_ROLE_ORDER = {role: i for i, role in enumerate(FEEDBACK_ROLES)}


def _table_widths(headers: Sequence[tuple[str, float]]) -> list[float]:
    return [header_width(h, w) for h, w in headers]


def _header_row(
    ws: WriteOnlyWorksheet, cells: Cells, row: int, headers: Sequence[str], widths: Sequence[float]
) -> None:
    """The header row, tall enough for its wrapped headers (row heights go before the row in write-only mode)."""
    ws.row_dimensions[row].height = row_height(zip(headers, widths, strict=True), bold=True)
    ws.append([cells.header(h) for h in headers])


def _colour_verdicts(ws: WriteOnlyWorksheet, ref: str) -> None:
    for verdict, (fill, text) in VERDICT_COLOURS.items():
        ws.conditional_formatting.add(
            ref,
            CellIsRule(
                operator="equal",
                formula=[f'"{verdict.value}"'],
                # Solid fills in conditional formats take their colour from bgColor in Excel, fgColor in others.
                fill=PatternFill("solid", start_color=fill, end_color=fill),
                font=Font(bold=True, color=text),
            ),
        )


def _role_sort_key(role: str) -> tuple[int, str]:
    return (_ROLE_ORDER.get(role, len(_ROLE_ORDER)), role)


def _worst_first(p: PersonaEvidence) -> tuple[int, float, str]:
    """Verdict severity, then the lower fit, then the name (the evidence model's `worst_first`)."""
    return evidence_worst_first(p)


def _statement_sort_key(persona: PersonaEvidence, st: StatementAgreement) -> tuple[float, int, str, int]:
    """Least agreement first (nobody judged it, or withheld: last), then the most "doesn't match", then persona."""
    shown = not st.suppressed and st.agreement is not None
    agreement = st.agreement if shown and st.agreement is not None else math.inf
    return (agreement, -st.counts.doesnt if shown else 0, persona.name.casefold(), st.position)


def most_disputed(persona: PersonaEvidence) -> StatementAgreement | None:
    """The persona's most disputed statement, as the evidence model defines it (`PersonaEvidence.disputed`: someone
    said it doesn't match and agreement is below 70 %; a withheld group is left out), the same as Slack shows."""
    return persona.most_disputed


def _wrapped_row_height(row: Sequence[Any], widths: Sequence[float]) -> float:
    """The height that shows every wrapped cell of a row in full (bold cells have wider letters)."""
    height = row_height([])
    for value, width in zip(row, widths, strict=False):
        if isinstance(value, Cell) and value.alignment.wrap_text and isinstance(value.value, str) and value.value:
            height = max(height, row_height([(value.value, width)], bold=bool(value.font.b)))
    return height


# --- the sheets ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WorkbookText:
    """The words above the tables (rendered from templates by the caller)."""

    title: str
    subtitle: str
    rule_lines: Sequence[str]


SUMMARY_HEADERS = (  # (header, the width its values need): headers wrap, and widen a column to their longest word
    ("Persona", 24),
    ("Status", 8),
    ("Verdict", 15),
    ("What to change", 60),
    ("People", 7),
    ("People who rated (n)", 7),
    ("Mean fit (1–5)", 7),  # an en dash reads better in a header
    ("± (90 % interval)", 7),
    ("Sales n", 7),
    ("Sales fit", 7),
    ("Success n", 7),
    ("Success fit", 7),
    ("Onboarding n", 7),
    ("Onboarding fit", 7),
    ("Other people", 7),
    ("Previous mean", 7),
    ("Change", 7),
    ("Haven't met", 7),
    ("Statement agreement", 7),
    ("Role gap", 7),
    ("Roles disagree", 7),
    ("Last reviewed (UTC)", 11),
    ("Review due", 7),
    ("Last validated", 11),
)


def _summary_headers(data: Evidence) -> list[tuple[str, float]]:
    titles = {
        f"{role.capitalize()} {what}": f"{role_label(role)} {what}"
        for role in FRONT_LINE_ROLES
        for what in ("n", "fit")
    }
    headers: list[tuple[str, float]] = []
    for h, w in SUMMARY_HEADERS:
        if h == "Previous mean":
            h = f"Previous mean ({data.previous_period.label})"
        headers.append((titles.get(h, h), w))
    return headers


def what_to_change(persona: PersonaEvidence, themes: Mapping[int, Sequence[Theme]]) -> str:
    """The most disputed statement and the "what's missing" theme most people raised, in one sentence."""
    disputed = most_disputed(persona)
    found = themes.get(persona.persona_id) or ()
    top = found[0] if found else None
    return render_part(
        "reports",
        "what_to_change",
        disputed.text if disputed else None,
        disputed.agreement if disputed else None,
        top.label if top else None,
        top.people if top else 0,
    )


def _fewer(cells: Cells, min_group: int, people: bool = True) -> Any:
    """A withheld figure, in words (wrapped: it is longer than the numbers its column is sized for)."""
    return cells.text(f"fewer than {min_group} people" if people else f"fewer than {min_group}", wrap=True)


def _fit_cells(cells: Cells, fit: Fit, min_group: int) -> list[Any]:
    """n and the mean; a withheld group reads "fewer than N people" in the mean's place."""
    if fit.suppressed:
        return [_fewer(cells, min_group, people=False), _fewer(cells, min_group)]
    return [cells.number(fit.n), cells.number(fit.mean, FMT_MEAN)]


def _summary_row(cells: Cells, p: PersonaEvidence, change: str) -> list[Any]:
    group = p.min_group
    other = sum(r.people for role, r in p.by_role.items() if role not in FRONT_LINE_ROLES)
    roles: list[Any] = []
    for role in FRONT_LINE_ROLES:
        roles += _fit_cells(cells, p.role_fit(role), group)
    return [
        cells.text(p.name, bold=True, wrap=True),
        cells.text(status_label(p.status)),
        cells.verdict(p.verdict),
        cells.text(change, wrap=True),
        cells.number(p.people) if p.people == 0 or p.people >= group else _fewer(cells, group, people=False),
        *_fit_cells(cells, p.fit, group),
        cells.number(p.fit.margin, FMT_MEAN),
        *roles,
        cells.number(other) if other == 0 or other >= group else _fewer(cells, group, people=False),
        _fewer(cells, group) if p.previous.suppressed else cells.number(p.previous.mean, FMT_MEAN),
        cells.number(p.delta, FMT_DELTA),
        cells.number(p.not_met_share, FMT_SHARE) if not (0 < p.people < group) else _fewer(cells, group),
        cells.number(p.agreement, FMT_SHARE),
        cells.number(p.role_gap, FMT_MEAN),
        cells.text("yes" if p.disagreement else ""),
        cells.when(p.last_reviewed_at, FMT_DATE),
        cells.text("due" if p.review_due else ""),
        cells.when(datetime.combine(p.last_validated, datetime.min.time()), FMT_DATE) if p.last_validated else None,
        cells.number(VALIDATED_MIN_MEAN, FMT_MEAN),  # the hidden column the chart's "validated" line reads
    ]


def _write_summary(
    ws: WriteOnlyWorksheet, data: Evidence, text: WorkbookText, missing: Mapping[int, Sequence[Theme]]
) -> None:
    headers = _summary_headers(data)
    names = [h for h, _ in headers]
    widths = _table_widths(headers)
    intro = 3 + len(text.rule_lines)
    header_row = intro + 1
    personas = sorted(data.personas, key=_worst_first)
    one_page = len(personas) <= ONE_PAGE_PERSONAS
    # The validated threshold, once per persona, in a hidden column: the chart's "validated" line reads it.
    threshold_col = len(headers) + 1
    cells = setup_sheet(
        ws,
        [*widths, 12],
        freeze=f"B{header_row + 1}",
        title_rows=f"{header_row}:{header_row}",
        one_page=one_page,
        top=True,
    )
    ws.column_dimensions[get_column_letter(threshold_col)].hidden = True
    last_col = get_column_letter(len(headers))
    total_width = sum(widths)
    row = 0

    def intro_line(cell: Any, line: str, height: float | None = None) -> None:
        nonlocal row
        row += 1
        ws.row_dimensions[row].height = height or row_height([(line, total_width)])
        ws.merged_cells.add(f"A{row}:{last_col}{row}")
        ws.append([cell])

    intro_line(cells.title(text.title), text.title, 24)
    intro_line(cells.text(text.subtitle, wrap=True), text.subtitle)
    for line in text.rule_lines:
        intro_line(cells.text(line, wrap=True), line)
    ws.append([])
    _header_row(ws, cells, header_row, [*names, "Validated at"], [*widths, 12])
    for index, p in enumerate(personas, header_row + 1):
        values = _summary_row(cells, p, what_to_change(p, missing))
        ws.row_dimensions[index].height = _wrapped_row_height(values, widths)
        ws.append(values)
    last = header_row + len(personas)
    print_last = last
    if personas:
        verdict_col = get_column_letter(names.index("Verdict") + 1)
        _colour_verdicts(ws, f"{verdict_col}{header_row + 1}:{verdict_col}{last}")
        series = [("Overall", names.index("Mean fit (1–5)") + 1)]
        series += [(role_label(r), names.index(f"{role_label(r)} fit") + 1) for r in FRONT_LINE_ROLES]
        chart = _fit_chart(ws, header_row, last, series, threshold_col)
        chart.width = max(16.0, min(2.5 * len(personas), 0.15 * total_width))  # cm: about the table's width
        ws.add_chart(chart, f"A{last + 3}")
        print_last = last + 3 + math.ceil(chart.height / 0.53) + 1  # a 15-point row is 0.53 cm
    ws.print_area = f"A1:{last_col}{print_last}"


def _fit_axes(chart: BarChart | LineChart) -> None:
    """One scale for every chart: 0 to 5, a line per point, axes shown."""
    chart.y_axis.title = "fit (1–5)"
    chart.y_axis.scaling.min = 0
    chart.y_axis.scaling.max = 5
    chart.y_axis.majorUnit = 1
    chart.y_axis.number_format = "0"
    chart.y_axis.majorGridlines = ChartLines()
    chart.y_axis.delete = False
    chart.x_axis.delete = False


def _threshold_series(values: Reference) -> Series:
    line = SeriesFactory(values, title=f"Validated ({VALIDATED_MIN_MEAN:.1f})")
    line.marker.symbol = "none"
    line.smooth = False
    line.graphicalProperties.line.solidFill = "C00000"
    line.graphicalProperties.line.dashStyle = "dash"
    line.graphicalProperties.line.width = 22_000  # EMU: about 1.75 pt
    return line


def _fit_chart(
    ws: WriteOnlyWorksheet, header_row: int, last: int, series: Sequence[tuple[str, int]], threshold_col: int
) -> BarChart:
    """Bars: overall fit and each front-line role's, per persona; a dashed line at the validated threshold.

    A withheld figure is words in its cell, so its bar is simply missing."""
    first = header_row + 1
    chart = BarChart()
    chart.type = "col"
    chart.title = "Mean fit by role"
    _fit_axes(chart)
    for title, col in series:
        chart.series.append(SeriesFactory(Reference(ws, min_col=col, min_row=first, max_row=last), title=title))
    chart.set_categories(Reference(ws, min_col=1, min_row=first, max_row=last))
    line = LineChart()
    line.series.append(_threshold_series(Reference(ws, min_col=threshold_col, min_row=first, max_row=last)))
    chart += line
    chart.visible_cells_only = False  # the threshold's column is hidden, and hidden cells are skipped by default
    chart.height = 11.0  # long persona names take the lower part
    return chart


def _write_attributes(ws: WriteOnlyWorksheet, data: Evidence) -> None:
    """Least agreed statements first; under each, its split by role. Long statements wrap in a tall row."""
    headers = [("Persona", 24), ("Kind", 11), ("Statement", 50), ("Role", 17)]
    headers += [(VERDICT_TITLES[k], 9) for k in VERDICT_KEYS] + [("Agreement", 11)]
    widths = _table_widths(headers)
    cells = setup_sheet(ws, widths, freeze="A2", title_rows="1:1", top=True)
    _header_row(ws, cells, 1, [h for h, _ in headers], widths)
    group = data.rules.min_group

    def row(persona: str, kind: str, text: str, role: str, counts: VerdictCounts, hidden: bool) -> list[Any]:
        figures = (
            [None] * len(VERDICT_KEYS) + [_fewer(cells, group)]
            if hidden
            else [*(cells.number(getattr(counts, k)) for k in VERDICT_KEYS), cells.number(counts.agreement, FMT_SHARE)]
        )
        return [
            cells.text(persona, wrap=True),
            cells.text(kind_label(kind), wrap=True),
            cells.text(text, wrap=True),
            cells.text(role, bold=role == "All roles", wrap=True),
            *figures,
        ]

    statements = [(p, st) for p in data.personas for st in p.statements]
    statements.sort(key=lambda pair: _statement_sort_key(*pair))
    count = 0
    for persona, st in statements:
        lines = [
            ("All roles", st.counts, st.suppressed),
            *((role_label(r), st.by_role[r], r in st.suppressed_roles) for r in sorted(st.by_role, key=_role_sort_key)),
        ]
        for role, counts, hidden in lines:
            values = row(persona.name, st.kind, st.text, role, counts, hidden)
            count += 1
            ws.row_dimensions[count + 1].height = _wrapped_row_height(values, widths)
            ws.append(values)
    ws.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{count + 1}"


def _write_themes(ws: WriteOnlyWorksheet, data: Evidence, themes: Sequence[PersonaThemes]) -> int:
    """The free text grouped into themes (each person's latest text): per persona, worst first, what's missing,
    then objections heard."""
    headers = [("Persona", 24), ("Kind", 15), ("Theme", 30), ("People", 8), ("Roles", 24), ("Example", 60)]
    widths = _table_widths(headers)
    cells = setup_sheet(ws, widths, freeze="A2", title_rows="1:1", top=True)
    _header_row(ws, cells, 1, [h for h, _ in headers], widths)
    order = {p.persona_id: i for i, p in enumerate(sorted(data.personas, key=_worst_first))}
    names = {p.persona_id: p.name for p in data.personas}
    kinds = {"missing": 0, "objection": 1}
    count = 0
    for group in sorted(themes, key=lambda g: (order.get(g.persona_id, len(order)), kinds.get(g.kind, 2))):
        name = names.get(group.persona_id)
        if name is None:
            continue  # a persona outside the report (retired with no feedback in the period)
        for theme in group.themes:
            values = [
                cells.text(name, bold=True, wrap=True),
                cells.text(comment_kind_label(group.kind), wrap=True),
                cells.text(theme.label, wrap=True),
                cells.number(theme.people),
                cells.text(", ".join(role_label(r) for r in theme.roles), wrap=True),
                cells.text(theme.quote, wrap=True),
            ]
            count += 1
            ws.row_dimensions[count + 1].height = _wrapped_row_height(values, widths)
            ws.append(values)
    if count:
        ws.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{count + 1}"
    else:
        ws.append([cells.text(render_part("reports", "no_themes", data.period.label))])
    return count


def _write_trend(ws: WriteOnlyWorksheet, data: Evidence) -> None:
    """A line per persona with a marker on every quarter (one quarter of data is a dot, not nothing)."""
    labels = list(data.trend_quarters)
    rows = [p for p in data.personas if any(p.trend.get(q) and p.trend[q].n for q in labels)]
    group = data.rules.min_group
    cells = setup_sheet(ws, [30] + [10] * len(labels), freeze="B2", title_rows="1:1")
    ws.append([cells.header("Persona: mean fit per quarter"), *(cells.header(label) for label in labels)])
    for p in rows:
        values = []
        for q in labels:
            fit = p.trend.get(q, Fit())
            values.append(_fewer(cells, group) if fit.suppressed else cells.number(fit.mean, FMT_MEAN))
        ws.append([cells.text(p.name, bold=True), *values])
    if rows and labels:
        last_row = len(rows) + 1
        threshold_row = last_row + 1
        ws.append(
            [
                cells.text(f"Validated at ({VALIDATED_MIN_MEAN:.1f})"),
                *(cells.number(VALIDATED_MIN_MEAN, FMT_MEAN) for _ in labels),
            ]
        )
        chart = LineChart()
        chart.title = "Mean fit per quarter"
        _fit_axes(chart)
        chart.add_data(
            Reference(ws, min_col=1, max_col=len(labels) + 1, min_row=2, max_row=last_row),
            from_rows=True,
            titles_from_data=True,
        )
        for series in chart.series:
            series.marker.symbol = "circle"
            series.marker.size = 7
            series.smooth = False
        chart.series.append(_threshold_series(Reference(ws, min_col=2, max_col=len(labels) + 1, min_row=threshold_row)))
        chart.set_categories(Reference(ws, min_col=2, max_col=len(labels) + 1, min_row=1, max_row=1))
        chart.width = max(16.0, 2.0 * len(labels))
        chart.height = 9.0
        ws.add_chart(chart, f"A{threshold_row + 3}")


def _write_comments(ws: WriteOnlyWorksheet, comments: Iterable[Comment], anonymous: bool) -> int:
    """Free text stays attributed (people are told so when they write it), also with anonymous ratings."""
    headers = [
        ("Date (UTC)", 17),
        ("Quarter", 9),
        ("Persona", 28),
        ("Role", 11),
        ("Author", 22),
        ("Kind", 15),
        ("Comment", 70),
        ("Link", 40),
    ]
    widths = _table_widths(headers)
    cells = setup_sheet(ws, widths, freeze="A2", title_rows="1:1")
    _header_row(ws, cells, 1, [h for h, _ in headers], widths)
    count = 0
    for c in comments:
        ws.append(
            [
                # With anonymous ratings the day alone is shown, so a comment can't be timed onto a rating.
                cells.when(naive_utc(c.created_at).replace(hour=0, minute=0, second=0, microsecond=0), FMT_DATE)
                if anonymous
                else cells.when(c.created_at),
                cells.text(c.quarter),
                cells.text(c.persona),
                cells.text(role_label(c.role)),
                cells.text(f"{c.author_name} ({c.author_id})"),
                cells.text(comment_kind_label(c.kind)),
                cells.text(c.text),
                cells.text(c.link),
            ]
        )
        count += 1
    ws.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{count + 1}"
    return count


RESPONSE_HEADERS = {
    "id": ("ID", 8),
    "created_at": ("Created (UTC)", 17),
    "quarter": ("Quarter", 9),
    "persona": ("Persona", 28),
    "revision_number": ("Persona revision", 9),
    "author_name": ("Author", 22),
    "author_id": ("Author ID", 13),
    "author_role": ("Role", 11),
    "source": ("Source", 9),
    "fit": ("Fit (1–5)", 8),
    "not_met": ("Haven't met", 9),
    "journey_stage": ("Journey stage", 12),
    "matches": ("Matches", 9),
    "partly": ("Partly", 8),
    "doesnt": ("Doesn't", 8),
    "not_seen": ("Not seen", 9),
    "missing_text": ("What's missing", 40),
    "objections_text": ("Objections heard", 40),
    "evidence_ref": ("Evidence", 30),
    "evidence_permalink": ("Evidence link", 30),
    "evidence_message": ("Evidence message", 40),
}


def _write_responses(
    ws: WriteOnlyWorksheet,
    rows: Iterable[Sequence[Any]],
    anonymous: bool,
    small_roles: Mapping[str, frozenset[str]] | None = None,
) -> int:
    """One row per record. With anonymous ratings: no names, no free text (it is on Comments, attributed), the
    day without the time, and no role where the role would identify someone (`small_roles`: persona name ->
    roles with fewer people than the minimum group)."""
    small_roles = small_roles or {}
    headers = [RESPONSE_HEADERS[c] for c in RESPONSE_COLUMNS]
    if anonymous:
        headers[RESPONSE_COLUMNS.index("created_at")] = ("Date (UTC)", 12)
    widths = _table_widths(headers)
    # Too wide to fit a page's width legibly: it prints across pages, each with the header row.
    cells = setup_sheet(ws, widths, freeze="C2", title_rows="1:1", fit_width=False)
    _header_row(ws, cells, 1, [h for h, _ in headers], widths)
    text = cells.text
    # Names repeat on every row: clean each once. Codes (role, source, stage, Slack ids) come from the app itself.
    names: dict[str, Any] = {}
    quarters: dict[tuple[int, int], str] = {}

    def name(value: str) -> Any:
        found = names.get(value)
        if found is None:
            found = text(value)
            if isinstance(found, str):
                names[value] = found
        return found

    def quarter_label(created: datetime) -> str:
        key = (created.year, created.month)
        if key not in quarters:
            quarters[key] = quarter_of(created).label
        return quarters[key]

    count = 0
    for (
        fid,
        created,
        quarter,
        persona,
        revision,
        author_name,
        author_id,
        role,
        source,
        fit,
        not_met,
        stage,
        matches,
        partly,
        doesnt,
        not_seen,
        missing,
        objections,
        ref,
        link,
        message,
    ) in rows:
        ws.append(
            [
                fid,
                cells.when(naive_utc(created).replace(hour=0, minute=0, second=0, microsecond=0), FMT_DATE)
                if anonymous
                else cells.when(created),
                quarter or quarter_label(created),
                name(persona),
                revision,
                ANONYMOUS if anonymous else name(author_name or author_id),
                ANONYMOUS if anonymous else author_id,
                WITHHELD if anonymous and role in small_roles.get(persona, ()) else role_label(role),
                source_label(source),
                fit,
                "yes" if not_met else None,
                stage_label(stage) or None,
                matches,
                partly,
                doesnt,
                not_seen,
                *(
                    (None, None, None, None, None)
                    if anonymous
                    else (
                        text(missing) if missing else None,
                        text(objections) if objections else None,
                        text(ref) if ref else None,
                        text(link) if link else None,
                        text(message) if message else None,
                    )
                ),
            ]
        )
        count += 1
    ws.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{count + 1}"
    return count


def _reasons(codes: Sequence[str]) -> str:
    """`no_customer_contact` -> `no customer contact`: the stored codes, readable."""
    return ", ".join(code.replace("_", " ") for code in codes)


RATE_HEADERS = ("Role", "Asked", "Answered", "Skipped", "Unreachable", "Silent", "Not sent yet", "Response rate")


def _write_participation(ws: WriteOnlyWorksheet, data: Evidence, reps: Sequence[RepParticipation]) -> None:
    headers = [
        ("Rep", 24),
        ("Slack ID", 13),
        ("Role", 11),
        ("Assigned", 9),
        ("Sent", 8),
        ("Answered", 9),
        ("Skipped", 9),
        ("Skip reason", 22),
        ("Reminders", 10),
        ("Unreachable", 11),
        ("Unreachable reason", 22),
    ]
    # One set of widths serves both tables: each column fits the longest header word of either.
    widths = [
        max(w, header_width(RATE_HEADERS[i]) if i < len(RATE_HEADERS) else 0)
        for i, w in enumerate(_table_widths(headers))
    ]
    cells = setup_sheet(ws, widths, freeze="A2", title_rows="1:1")
    _header_row(ws, cells, 1, [h for h, _ in headers], widths)
    for rep in reps:
        ws.append(
            [
                cells.text(rep.name),
                cells.text(rep.slack_user_id),
                cells.text(role_label(rep.role)),
                cells.number(rep.assigned),
                cells.number(rep.sent),
                cells.number(rep.answered),
                cells.number(rep.skipped),
                cells.text(_reasons(rep.skip_reasons)),
                cells.number(rep.reminders),
                cells.number(rep.unreachable),
                cells.text(_reasons(rep.unreachable_reasons)),
            ]
        )
    if not reps:
        ws.append([cells.text(f"No check-in round in {data.period.label}.")])
    ws.append([])
    ws.append([cells.title("Response rate by role: answered ÷ (asked − skipped)")])
    _header_row(ws, cells, 1 + max(len(reps), 1) + 3, RATE_HEADERS, widths[: len(RATE_HEADERS)])

    def rate_row(title: str, r: ResponseRate, bold: bool = False) -> list[Any]:
        return [
            cells.text(title, bold=bold),
            *(cells.number(v) for v in (r.asked, r.answered, r.skipped, r.unreachable, r.silent, r.waiting)),
            cells.number(r.rate, FMT_SHARE),
        ]

    part = data.participation
    for role in sorted(part.by_role, key=_role_sort_key):
        ws.append(rate_row(role_label(role), part.by_role[role]))
    if part.by_role:
        ws.append(rate_row("All roles", part.total, bold=True))


def _write_coverage(ws: WriteOnlyWorksheet, data: Evidence, coverage: Sequence[StatementCoverage]) -> None:
    """RULE_COVERAGE: per statement, its views in the period in total and per role, and the roles below the minimum
    (a role that doesn't check the persona reads "–")."""
    headers = [("Persona", 24), ("Kind", 11), ("Statement", 50), ("Views", 8)]
    headers += [(role_label(role), 11) for role in ROLES] + [("Roles below the minimum", 26)]
    widths = _table_widths(headers)
    cells = setup_sheet(ws, widths, freeze="A2", title_rows="1:1", top=True)
    _header_row(ws, cells, 1, [h for h, _ in headers], widths)
    for row, item in enumerate(coverage, start=2):
        values = [
            cells.text(item.persona_name, wrap=True),
            cells.text(kind_label(item.kind), wrap=True),
            cells.text(item.text, wrap=True),
            cells.number(item.views),
            *(cells.number(item.role_views(role)) if role in item.roles else cells.text("–") for role in ROLES),
            cells.text(", ".join(role_label(r) for r in item.missing_roles) or "none", wrap=True),
        ]
        ws.row_dimensions[row].height = _wrapped_row_height(values, widths)
        ws.append(values)
    if not coverage:
        ws.append([cells.text(f"No active persona has statements to check in {data.period.label}.")])
        return
    ws.append([])
    minimum = coverage[0].minimum
    ws.append([cells.text(f"Covered: at least {minimum} people in a role gave the statement a verdict in the period.")])


def write_report(
    data: Evidence,
    reps: Sequence[RepParticipation],
    responses: Iterable[Sequence[Any]],
    comments: Iterable[Comment],
    text: WorkbookText,
    *,
    anonymous: bool = False,
    on_sheet: Callable[[str], None] | None = None,
    outcomes: OutcomesSheet | None = None,  # adds the Outcomes sheet
    themes: Sequence[PersonaThemes] = (),
    coverage: Sequence[StatementCoverage] = (),
) -> bytes:
    """The workbook as .xlsx bytes. `responses` rows follow RESPONSE_COLUMNS; both iterables are consumed once.

    `themes` (persona_store.themes.themes_for_period) fill the Themes sheet and the Summary's "What to change".
    """
    wb = Workbook(write_only=True)
    sheets = {name: wb.create_sheet(name) for name in SHEETS}
    group = data.rules.min_group
    small_roles = {p.name: frozenset(role for role, r in p.by_role.items() if r.people < group) for p in data.personas}
    missing = {g.persona_id: g.themes for g in themes if g.kind == "missing"}
    writers: list[tuple[str, Callable[[WriteOnlyWorksheet], object]]] = [
        ("Summary", lambda ws: _write_summary(ws, data, text, missing)),
        ("Attributes", lambda ws: _write_attributes(ws, data)),
        ("Themes", lambda ws: _write_themes(ws, data, themes)),
        ("Trend", lambda ws: _write_trend(ws, data)),
        ("Comments", lambda ws: _write_comments(ws, comments, anonymous)),
        ("Responses", lambda ws: _write_responses(ws, responses, anonymous, small_roles)),
        ("Participation", lambda ws: _write_participation(ws, data, reps)),
        ("Coverage", lambda ws: _write_coverage(ws, data, coverage)),
    ]
    for name, write in writers:
        if on_sheet is not None:
            on_sheet(name)
        write(sheets[name])
    if outcomes is not None:
        if on_sheet is not None:
            on_sheet("Outcomes")
        write_outcomes_sheet(wb.create_sheet("Outcomes"), outcomes)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
