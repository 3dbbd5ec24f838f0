"""The managers' workbook (openpyxl, write-only so the raw sheet streams): bytes out.

Every figure comes from the evidence model (`persona_store.evidence`); this module only lays it out. A figure the
minimum group withholds (anonymous ratings) is written as the words "fewer than N people", never as a number.

Hygiene for every piece of user text: control characters stripped, capped at Excel's 32,767 characters, and
stored as a text cell (never a formula or an error value: openpyxl turns "=…" into a live formula). Datetimes
are written as naive UTC values and every date header says "(UTC)".
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from persona_store.evidence import (
    FRONT_LINE_ROLES,
    VERDICT_KEYS,
    Evidence,
    Fit,
    PersonaEvidence,
    ResponseRate,
    Verdict,
    VerdictCounts,
)
from persona_store.quarters import quarter_of
from persona_store.report_rows import RESPONSE_COLUMNS, Comment, RepParticipation

MAX_CELL_CHARS = 32_767
# A text starting with one of these is a formula (or a DDE trick) to a spreadsheet app; "#" starts error values.
_RISKY_START = ("=", "+", "-", "@", "#", "\t", "\r")

FMT_DATETIME = "yyyy-mm-dd hh:mm"
FMT_DATE = "yyyy-mm-dd"
FMT_MEAN = "0.00"
FMT_DELTA = "+0.00;-0.00;0.00"
FMT_SHARE = "0%"
FMT_COUNT = "#,##0"

SHEETS = ("Summary", "Attributes", "Trend", "Comments", "Responses", "Participation")
ROLE_TITLES = {"sales": "Sales", "success": "Success", "onboarding": "Onboarding", "marketing": "Marketing"}
VERDICT_TITLES = {"matches": "Matches", "partly": "Partly", "doesnt": "Doesn't", "not_seen": "Not seen"}
COMMENT_KINDS = {"missing": "What's missing", "objection": "Objection heard", "evidence": "Evidence"}
ANONYMOUS = "anonymous"

_BOLD = Font(bold=True)
_TITLE = Font(bold=True, size=14)
_HEADER_FILL = PatternFill("solid", fgColor="DDE4EE")
_WRAP = Alignment(wrap_text=True, vertical="top")
_VERDICT_FILLS = {
    Verdict.VALIDATED: PatternFill("solid", fgColor="C6EFCE"),
    Verdict.CONTESTED: PatternFill("solid", fgColor="FFC7CE"),
    Verdict.NEEDS_REVIEW: PatternFill("solid", fgColor="FFEB9C"),
    Verdict.NOT_ENOUGH_DATA: PatternFill("solid", fgColor="EDEDED"),
}


# --- hygiene ------------------------------------------------------------------------------------------------------


def clean_text(value: object) -> str:
    """Control characters out, capped at what one cell can hold."""
    text = ILLEGAL_CHARACTERS_RE.sub("", str(value))
    return text[:MAX_CELL_CHARS]


def naive_utc(value: datetime) -> datetime:
    """Spreadsheets have no time zones: aware datetimes become naive UTC (headers say so)."""
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value


class _Cells:
    """Makes write-only cells for one sheet: text always as text, numbers and dates with formats."""

    def __init__(self, ws: WriteOnlyWorksheet) -> None:
        self.ws = ws

    def text(self, value: object, *, bold: bool = False, wrap: bool = False) -> Any:
        text = clean_text(value)
        if not bold and not wrap and not text.startswith(_RISKY_START):
            return text  # a plain safe string: openpyxl stores it as text, no per-cell object needed
        cell = WriteOnlyCell(self.ws, text)
        cell.data_type = "s"  # after assigning: openpyxl has already decided "=…" is a formula
        if text.startswith(_RISKY_START):
            cell.quotePrefix = True
        if bold:
            cell.font = _BOLD
        if wrap:
            cell.alignment = _WRAP
        return cell

    def number(self, value: float | int | None, fmt: str = FMT_COUNT) -> Any:
        if value is None:
            return None
        cell = WriteOnlyCell(self.ws, value)
        cell.number_format = fmt
        return cell

    def when(self, value: datetime | None, fmt: str = FMT_DATETIME) -> Any:
        if value is None:
            return None
        cell = WriteOnlyCell(self.ws, naive_utc(value))
        cell.number_format = fmt
        return cell

    def header(self, value: str) -> Any:
        cell = WriteOnlyCell(self.ws, clean_text(value))
        cell.data_type = "s"
        cell.font = _BOLD
        cell.fill = _HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="bottom")
        return cell

    def title(self, value: str) -> Any:
        cell = WriteOnlyCell(self.ws, clean_text(value))
        cell.data_type = "s"
        cell.font = _TITLE
        return cell

    def verdict(self, verdict: Verdict) -> Any:
        cell = WriteOnlyCell(self.ws, verdict.value)
        cell.data_type = "s"
        cell.fill = _VERDICT_FILLS[verdict]
        cell.font = _BOLD
        return cell


def _setup(ws: WriteOnlyWorksheet, widths: Sequence[float], freeze: str | None) -> _Cells:
    """Widths and frozen panes must be set before the first append in write-only mode."""
    for index, width in enumerate(widths, 1):
        ws.column_dimensions[get_column_letter(index)].width = width
    if freeze:
        ws.freeze_panes = freeze
    return _Cells(ws)


# --- the sheets ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WorkbookText:
    """The words above the tables (rendered from templates by the caller)."""

    title: str
    subtitle: str
    rule_lines: Sequence[str]


SUMMARY_HEADERS = (
    ("Persona", 30),
    ("Status", 9),
    ("Verdict", 15),
    ("People", 9),
    ("People who rated (n)", 10),
    ("Mean fit (1–5)", 10),  # an en dash reads better in a header
    ("± (90 % interval)", 10),
    ("Sales n", 8),
    ("Sales fit", 9),
    ("Success n", 8),
    ("Success fit", 9),
    ("Onboarding n", 10),
    ("Onboarding fit", 11),
    ("Other people", 9),
    ("Previous mean", 10),
    ("Change", 9),
    ("Haven't met", 9),
    ("Statement agreement", 11),
    ("Role gap", 9),
    ("Roles disagree", 10),
    ("Last reviewed (UTC)", 12),
    ("Review due", 10),
    ("Last validated", 12),
)


def _fit_cells(cells: _Cells, fit: Fit, min_group: int) -> list[Any]:
    """n and the mean; a withheld group reads "fewer than N people" in the mean's place."""
    if fit.suppressed:
        return [cells.text(f"fewer than {min_group}"), cells.text(f"fewer than {min_group} people")]
    return [cells.number(fit.n), cells.number(fit.mean, FMT_MEAN)]


def _write_summary(ws: WriteOnlyWorksheet, data: Evidence, text: WorkbookText) -> None:
    headers = [
        (f"Previous mean ({data.previous_period.label})", w) if h == "Previous mean" else (h, w)
        for h, w in SUMMARY_HEADERS
    ]
    intro = 3 + len(text.rule_lines)
    header_row = intro + 1
    cells = _setup(ws, [w for _, w in headers], freeze=f"B{header_row + 1}")
    ws.append([cells.title(text.title)])
    ws.append([cells.text(text.subtitle)])
    for line in text.rule_lines:
        ws.append([cells.text(line)])
    ws.append([])
    ws.append([cells.header(h) for h, _ in headers])
    for p in data.personas:
        ws.append(_summary_row(cells, p))
    if data.personas:
        first, last = header_row + 1, header_row + len(data.personas)
        chart = BarChart()
        chart.type = "col"
        chart.title = "Mean fit by role"
        chart.y_axis.title = "fit (1–5)"
        chart.y_axis.scaling.min = 0
        chart.y_axis.scaling.max = 5
        names = [h for h, _ in headers]
        for role_header in ("Sales fit", "Success fit", "Onboarding fit"):
            col = names.index(role_header) + 1
            chart.add_data(Reference(ws, min_col=col, min_row=header_row, max_row=last), titles_from_data=True)
        chart.set_categories(Reference(ws, min_col=1, min_row=first, max_row=last))
        chart.width = max(16.0, 2.5 * len(data.personas))
        chart.height = 8.0
        ws.add_chart(chart, f"A{last + 3}")


def _summary_row(cells: _Cells, p: PersonaEvidence) -> list[Any]:
    group = p.min_group
    other = sum(r.people for role, r in p.by_role.items() if role not in FRONT_LINE_ROLES)
    roles: list[Any] = []
    for role in FRONT_LINE_ROLES:
        roles += _fit_cells(cells, p.role_fit(role), group)
    hidden = cells.text(f"fewer than {group} people")
    return [
        cells.text(p.name, bold=True),
        cells.text(p.status),
        cells.verdict(p.verdict),
        cells.number(p.people) if p.people == 0 or p.people >= group else cells.text(f"fewer than {group}"),
        *_fit_cells(cells, p.fit, group),
        cells.number(p.fit.margin, FMT_MEAN),
        *roles,
        cells.number(other) if other == 0 or other >= group else cells.text(f"fewer than {group}"),
        hidden if p.previous.suppressed else cells.number(p.previous.mean, FMT_MEAN),
        cells.number(p.delta, FMT_DELTA),
        cells.number(p.not_met_share, FMT_SHARE) if not (0 < p.people < group) else hidden,
        cells.number(p.agreement, FMT_SHARE),
        cells.number(p.role_gap, FMT_MEAN),
        cells.text("yes" if p.disagreement else ""),
        cells.when(p.last_reviewed_at, FMT_DATE),
        cells.text("due" if p.review_due else ""),
        cells.when(datetime.combine(p.last_validated, datetime.min.time()), FMT_DATE) if p.last_validated else None,
    ]


def _write_attributes(ws: WriteOnlyWorksheet, data: Evidence) -> None:
    headers = [("Persona", 28), ("Kind", 11), ("Statement", 50), ("Role", 12)]
    headers += [(VERDICT_TITLES[k], 9) for k in VERDICT_KEYS] + [("Agreement", 11)]
    cells = _setup(ws, [w for _, w in headers], freeze="A2")
    ws.append([cells.header(h) for h, _ in headers])
    kinds = {"goal": "goal", "pain_point": "pain point", "objection": "objection"}
    group = data.rules.min_group

    def row(persona: str, kind: str, text: str, role: str, counts: VerdictCounts, hidden: bool) -> list[Any]:
        figures = (
            [None] * len(VERDICT_KEYS) + [cells.text(f"fewer than {group} people")]
            if hidden
            else [*(cells.number(getattr(counts, k)) for k in VERDICT_KEYS), cells.number(counts.agreement, FMT_SHARE)]
        )
        return [
            cells.text(persona),
            cells.text(kinds.get(kind, kind)),
            cells.text(text, wrap=True),
            cells.text(role, bold=role == "all roles"),
            *figures,
        ]

    count = 0
    for persona in data.personas:
        for st in persona.statements:
            ws.append(row(persona.name, st.kind, st.text, "all roles", st.counts, st.suppressed))
            count += 1
            for role, counts in st.by_role.items():
                ws.append(row(persona.name, st.kind, st.text, role, counts, role in st.suppressed_roles))
                count += 1
    ws.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{count + 1}"


def _write_trend(ws: WriteOnlyWorksheet, data: Evidence) -> None:
    labels = list(data.trend_quarters)
    rows = [p for p in data.personas if any(p.trend.get(q) and p.trend[q].n for q in labels)]
    group = data.rules.min_group
    cells = _setup(ws, [30] + [10] * len(labels), freeze="B2")
    ws.append([cells.header("Persona: mean fit per quarter"), *(cells.header(label) for label in labels)])
    for p in rows:
        values = []
        for q in labels:
            fit = p.trend.get(q, Fit())
            values.append(
                cells.text(f"fewer than {group} people") if fit.suppressed else cells.number(fit.mean, FMT_MEAN)
            )
        ws.append([cells.text(p.name, bold=True), *values])
    if rows and labels:
        chart = LineChart()
        chart.title = "Mean fit per quarter"
        chart.y_axis.title = "fit (1–5)"
        chart.y_axis.scaling.min = 1
        chart.y_axis.scaling.max = 5
        last_row = len(rows) + 1
        chart.add_data(
            Reference(ws, min_col=1, max_col=len(labels) + 1, min_row=2, max_row=last_row),
            from_rows=True,
            titles_from_data=True,
        )
        chart.set_categories(Reference(ws, min_col=2, max_col=len(labels) + 1, min_row=1, max_row=1))
        chart.width = max(16.0, 2.0 * len(labels))
        chart.height = 9.0
        ws.add_chart(chart, f"A{last_row + 3}")


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
    cells = _setup(ws, [w for _, w in headers], freeze="A2")
    ws.append([cells.header(h) for h, _ in headers])
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
                cells.text(c.role),
                cells.text(f"{c.author_name} ({c.author_id})"),
                cells.text(COMMENT_KINDS.get(c.kind, c.kind)),
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


WITHHELD = "withheld"


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
    cells = _setup(ws, [w for _, w in headers], freeze="C2")
    ws.append([cells.header(h) for h, _ in headers])
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
                WITHHELD if anonymous and role in small_roles.get(persona, ()) else role,
                source,
                fit,
                "yes" if not_met else None,
                stage,
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
    cells = _setup(ws, [w for _, w in headers], freeze="A2")
    ws.append([cells.header(h) for h, _ in headers])
    for rep in reps:
        ws.append(
            [
                cells.text(rep.name),
                cells.text(rep.slack_user_id),
                cells.text(rep.role),
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
    ws.append(
        [
            cells.header(h)
            for h in ("Role", "Asked", "Answered", "Skipped", "Unreachable", "Silent", "Not sent yet", "Response rate")
        ]
    )

    def rate_row(title: str, r: ResponseRate, bold: bool = False) -> list[Any]:
        return [
            cells.text(title, bold=bold),
            *(cells.number(v) for v in (r.asked, r.answered, r.skipped, r.unreachable, r.silent, r.waiting)),
            cells.number(r.rate, FMT_SHARE),
        ]

    part = data.participation
    for role, rate in part.by_role.items():
        ws.append(rate_row(ROLE_TITLES.get(role, role), rate))
    if part.by_role:
        ws.append(rate_row("All roles", part.total, bold=True))


def write_report(
    data: Evidence,
    reps: Sequence[RepParticipation],
    responses: Iterable[Sequence[Any]],
    comments: Iterable[Comment],
    text: WorkbookText,
    *,
    anonymous: bool = False,
    on_sheet: Callable[[str], None] | None = None,
    outcomes: Any = None,  # a bot.outcomes_sheet.OutcomesSheet: adds the Outcomes sheet
) -> bytes:
    """The workbook as .xlsx bytes. `responses` rows follow RESPONSE_COLUMNS; both iterables are consumed once."""
    wb = Workbook(write_only=True)
    sheets = {name: wb.create_sheet(name) for name in SHEETS}
    group = data.rules.min_group
    small_roles = {p.name: frozenset(role for role, r in p.by_role.items() if r.people < group) for p in data.personas}
    writers: list[tuple[str, Callable[[WriteOnlyWorksheet], object]]] = [
        ("Summary", lambda ws: _write_summary(ws, data, text)),
        ("Attributes", lambda ws: _write_attributes(ws, data)),
        ("Trend", lambda ws: _write_trend(ws, data)),
        ("Comments", lambda ws: _write_comments(ws, comments, anonymous)),
        ("Responses", lambda ws: _write_responses(ws, responses, anonymous, small_roles)),
        ("Participation", lambda ws: _write_participation(ws, data, reps)),
    ]
    for name, write in writers:
        if on_sheet is not None:
            on_sheet(name)
        write(sheets[name])
    if outcomes is not None:
        from bot.outcomes_sheet import write_outcomes_sheet

        if on_sheet is not None:
            on_sheet("Outcomes")
        write_outcomes_sheet(wb.create_sheet("Outcomes"), outcomes)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
