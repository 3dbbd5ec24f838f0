"""The workbook's cells: user text always as text (never a formula), formats, widths, wrapping, print setup."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.worksheet.page import PageMargins
from openpyxl.worksheet.properties import PageSetupProperties

from persona_store.evidence import Verdict

MAX_CELL_CHARS = 32_767
# A text starting with one of these is a formula (or a DDE trick) to a spreadsheet app; "#" starts error values.
_RISKY_START = ("=", "+", "-", "@", "#", "\t", "\r")

FMT_DATETIME = "yyyy-mm-dd hh:mm"
FMT_DATE = "yyyy-mm-dd"
FMT_MEAN = "0.00"
FMT_DELTA = "+0.00;-0.00;0.00"
FMT_SHARE = "0%"
FMT_COUNT = "#,##0"

_BOLD = Font(bold=True)
_TITLE = Font(bold=True, size=14)
_HEADER_FILL = PatternFill("solid", fgColor="DDE4EE")
_WRAP = Alignment(wrap_text=True, vertical="top")
_TOP = Alignment(vertical="top")
_LINE_POINTS = 15.0  # one line of 11 pt text, in row-height points
# Bold headers and fonts that stand in for Calibri (DejaVu, Liberation) are wider than the width unit (a "0").
_CHAR_FACTOR = 1.1
# Regular text fits a little more than a character per unit, even in DejaVu (measured: 57 in a 50-wide column).
_TEXT_FACTOR = 0.95

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


class Cells:
    """Makes write-only cells for one sheet: text always as text, numbers and dates with formats."""

    def __init__(self, ws: WriteOnlyWorksheet, *, top: bool = False) -> None:
        self.ws = ws
        self.top = top  # rows taller than a line (wrapped text): every value starts at the top

    def text(self, value: object, *, bold: bool = False, wrap: bool = False) -> Any:
        text = clean_text(value)
        if not bold and not wrap and not self.top and not text.startswith(_RISKY_START):
            return text  # a plain safe string: openpyxl stores it as text, no per-cell object needed
        cell = WriteOnlyCell(self.ws, text)
        cell.data_type = "s"  # after assigning: openpyxl has already decided "=…" is a formula
        if text.startswith(_RISKY_START):
            cell.quotePrefix = True
        if bold:
            cell.font = _BOLD
        if wrap:
            cell.alignment = _WRAP
        elif self.top:
            cell.alignment = _TOP
        return cell

    def number(self, value: float | int | None, fmt: str = FMT_COUNT) -> Any:
        if value is None:
            return None
        cell = WriteOnlyCell(self.ws, value)
        cell.number_format = fmt
        if self.top:
            cell.alignment = _TOP
        return cell

    def when(self, value: datetime | None, fmt: str = FMT_DATETIME) -> Any:
        if value is None:
            return None
        cell = WriteOnlyCell(self.ws, naive_utc(value))
        cell.number_format = fmt
        if self.top:
            cell.alignment = _TOP
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
        """Its colour comes from the sheet's conditional formatting (`_colour_verdicts`), the same as Home's."""
        cell = WriteOnlyCell(self.ws, verdict.value)
        cell.data_type = "s"
        cell.font = _BOLD
        cell.alignment = _TOP
        return cell


# --- layout: widths, wrapping, print setup ------------------------------------------------------------------------


_DASHES = ("-", "–")


def _dash_split_risk(words: Sequence[str], width: float) -> bool:
    """Whether a spreadsheet app could break a hyphenated header word after its dash in a column `width` wide.

    Lines are packed the way a spreadsheet app packs them (greedily, at spaces). A hyphenated word that has to
    start a new line is safe only when the line before can't take its first part ("(1–") either: the app may fit
    a little more than our careful estimate, so that check assumes it can fit a character or so over `width`
    (measured in LibreOffice with DejaVu Sans Bold: "Mean fit (1–" fits in 12, "Previous mean (2026-" not in 18).
    """
    careful = (width - 2) / _CHAR_FACTOR
    line = ""
    for word in words:
        joined = f"{line} {word}" if line else word
        if len(joined) <= careful or not line:
            line = joined
            continue
        dash = min((word.index(d) for d in _DASHES if d in word), default=-1)
        if dash >= 0 and len(f"{line} {word[: dash + 1]}") <= width * 1.05 + 1:
            return True
        line = word
    return False


def header_width(header: str, minimum: float = 0) -> float:
    """A column wide enough for its header's longest word, so a wrapped header never breaks inside a word.

    Spreadsheet apps also break after a hyphen or dash ("(2026-Q2)", "(1–5)"), so a header with one widens
    until that word either shares a line whole or starts a line the dash can't be pulled back onto.
    """
    words = header.split()
    longest = max((len(word) for word in words), default=0)
    width = max(minimum, math.ceil(longest * _CHAR_FACTOR) + 2)
    if any(d in header for d in _DASHES):
        while _dash_split_risk(words, width) and width < minimum + 4 * len(header):
            width += 1
    return width


def wrapped_lines(text: str, width: float, *, bold: bool = False) -> int:
    """How many lines `text` takes when wrapped at word boundaries in a column `width` wide (an estimate)."""
    per_line = max(1, int((width - 1) / (_CHAR_FACTOR if bold else _TEXT_FACTOR)))
    total = 0
    for paragraph in str(text).split("\n"):
        lines, used = 1, 0
        for word in paragraph.split():
            if used and used + 1 + len(word) <= per_line:
                used += 1 + len(word)
                continue
            if used:
                lines += 1
            # A word longer than a line is broken by the spreadsheet app over as many lines as it needs.
            full, rest = divmod(len(word), per_line)
            lines += full - 1 if rest == 0 else full
            used = rest or per_line
        total += lines
    return total


def row_height(cells: Iterable[tuple[str, float]], *, bold: bool = False) -> float:
    """The height (points) that shows every (text, column width) pair in full when wrapped."""
    lines = max((wrapped_lines(text, width, bold=bold) for text, width in cells if text), default=1)
    return lines * _LINE_POINTS + 3


def setup_sheet(
    ws: WriteOnlyWorksheet,
    widths: Sequence[float],
    freeze: str | None,
    *,
    title_rows: str | None = None,
    fit_width: bool = True,
    one_page: bool = False,
    top: bool = False,
) -> Cells:
    """Widths, frozen panes and the fit-to-page flag must be set before the first append in write-only mode.

    Every sheet prints landscape with narrow margins; tables repeat their header row on each page, and fit the
    page's width (the Summary its whole page too, up to ONE_PAGE_PERSONAS personas).
    """
    for index, width in enumerate(widths, 1):
        ws.column_dimensions[get_column_letter(index)].width = width
    if freeze:
        ws.freeze_panes = freeze
    ws.page_setup.orientation = "landscape"
    ws.page_margins = PageMargins(left=0.4, right=0.4, top=0.5, bottom=0.5, header=0.25, footer=0.25)
    if fit_width:
        ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 1 if one_page else 0  # 0: as many pages tall as needed
    if title_rows:
        ws.print_title_rows = title_rows
    return Cells(ws, top=top)
