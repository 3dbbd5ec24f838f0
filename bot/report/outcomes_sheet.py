"""The workbook's Outcomes sheet: deal and campaign figures per persona beside fit, the signals with their rules,
and a chart of win rate and fit per persona over time. Added to the workbook only when outcomes were imported.

Text hygiene, number formats and write-only cells come from `bot.report.cells`; the words from
`prompts/outcomes.j2` (rendered by `build_outcomes_sheet`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from openpyxl.chart import LineChart, Reference
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from bot.render import render_part
from bot.report.cells import FMT_COUNT, FMT_DELTA, FMT_MEAN, FMT_SHARE, Cells, setup_sheet
from persona_store.evidence import Evidence
from persona_store.outcomes import DealFigures, OutcomesData, PersonaOutcomes
from persona_store.quarters import parse_quarter, quarters_between
from persona_store.signals import FitInput, Signal

FMT_MONEY = "#,##0.00"
FMT_RATE1 = "0.0%"

PERSONA_HEADERS = (
    ("Persona", 30),
    ("Mean fit (1–5)", 10),
    ("Ratings", 9),
    ("Deals created", 10),
    ("Won", 8),
    ("Lost", 8),
    ("Win rate", 9),
    ("n (won + lost)", 10),
    ("Previous win rate", 10),
    ("Win rate change", 10),
    ("Median sales cycle (days)", 12),
    ("Median amount (won)", 13),
    ("Share of won deals", 10),
    ("Top lost reasons", 34),
    ("Most drop-off at", 16),
    ("Share lost there", 10),
    ("Campaign messages sent", 11),
    ("Open rate", 9),
    ("Engagement (clicks ÷ sent)", 12),
    ("Previous engagement", 12),
    ("Conversion", 10),
    ("Previous conversion", 11),
    ("Conversion change", 11),
    ("Fit on won deals", 10),
    ("n", 6),
    ("Fit on lost deals", 10),
    ("n", 6),
)


@dataclass(frozen=True)
class OutcomesSheet:
    """Everything the sheet shows, with its words already rendered."""

    title: str
    subtitle: str
    note: str
    data: OutcomesData
    fits: Mapping[int, FitInput]
    signals: Sequence[tuple[str, str, str]]  # (persona, statement, rule)
    quarters: Sequence[str]
    fit_by_quarter: Mapping[int, Mapping[str, float | None]]  # persona id -> quarter -> mean fit


def build_outcomes_sheet(
    data: OutcomesData, fits: Mapping[int, FitInput], signals: Sequence[Signal], report: Evidence | None = None
) -> OutcomesSheet:
    """The sheet's content: the words from templates, fit per quarter from the report's trend."""
    labels = set(data.trend_quarters)
    fit_by_quarter: dict[int, dict[str, float | None]] = {}
    if report is not None:
        labels.update(report.trend_quarters)
        for persona in report.personas:
            trend = persona.trend
            fit_by_quarter[persona.persona_id] = {q: (trend[q].mean if q in trend else None) for q in labels}
    quarters = sorted(parse_quarter(label) for label in labels)
    span = [q.label for q in quarters_between(quarters[0], quarters[-1])] if quarters else []
    return OutcomesSheet(
        title=render_part("outcomes", "sheet_title", data.period.label),
        subtitle=render_part(
            "outcomes", "sheet_subtitle", data.previous_period.label, data.deal_count, data.campaign_count
        ),
        note=render_part("outcomes", "verdict_note"),
        data=data,
        fits=fits,
        signals=[
            (
                s.persona_name,
                render_part("outcomes", "signal", s.kind.value, s.persona_name, s.numbers, slack=False),
                render_part("outcomes", "rule", s.kind.value, s.rule),
            )
            for s in signals
        ],
        quarters=span,
        fit_by_quarter=fit_by_quarter,
    )


def _deal_cells(cells: Cells, deals: DealFigures) -> list[object]:
    """Deals created, won, lost, the win rate and deals closed: the columns every row of the sheet has."""
    return [
        cells.number(deals.created),
        cells.number(deals.won),
        cells.number(deals.lost),
        cells.number(deals.win_rate, FMT_SHARE),
        cells.number(deals.closed),
    ]


def _change(now: float | None, before: float | None) -> float | None:
    return now - before if now is not None and before is not None else None


def write_outcomes_sheet(ws: WriteOnlyWorksheet, sheet: OutcomesSheet) -> None:
    cells = setup_sheet(ws, [w for _, w in PERSONA_HEADERS], freeze="B6")
    ws.append([cells.title(sheet.title)])
    ws.append([cells.text(sheet.subtitle)])
    ws.append([cells.text(sheet.note)])
    ws.append([])
    ws.append([cells.header(h) for h, _ in PERSONA_HEADERS])
    shown: list[PersonaOutcomes] = [p for p in sheet.data.personas if p.has_data or p.previous.closed]
    for p in shown:
        fit = sheet.fits.get(p.persona_id)
        d, before = p.deals, p.previous
        worst = d.worst_stage
        ws.append(
            [
                cells.text(p.name, bold=True),
                cells.number(fit.mean_fit if fit else None, FMT_MEAN),
                cells.number(fit.ratings if fit else 0),
                *_deal_cells(cells, d),
                cells.number(before.win_rate, FMT_SHARE),
                cells.number(p.win_rate_change, FMT_DELTA),
                cells.number(d.median_cycle_days, FMT_COUNT),
                cells.number(d.median_amount, FMT_MONEY),
                cells.number(d.won_share, FMT_SHARE),
                cells.text("; ".join(f"{reason} ({n})" for reason, n in d.lost_reasons)),
                cells.text(worst.stage if worst else ""),
                cells.number(worst.share if worst else None, FMT_SHARE),
                cells.number(p.campaigns.sent),
                cells.number(p.campaigns.open_rate, FMT_RATE1),
                cells.number(p.campaigns.engagement, FMT_RATE1),
                cells.number(p.previous_campaigns.engagement, FMT_RATE1),
                cells.number(p.campaigns.conversion, FMT_RATE1),
                cells.number(p.previous_campaigns.conversion, FMT_RATE1),
                cells.number(_change(p.campaigns.conversion, p.previous_campaigns.conversion), "+0.0%;-0.0%;0.0%"),
                cells.number(p.fit_on_deals.won_mean, FMT_MEAN),
                cells.number(p.fit_on_deals.won_ratings),
                cells.number(p.fit_on_deals.lost_mean, FMT_MEAN),
                cells.number(p.fit_on_deals.lost_ratings),
            ]
        )
    totals, unassigned = sheet.data.totals, sheet.data.unassigned
    ws.append(
        [
            cells.text("All deals", bold=True),
            None,
            None,
            *_deal_cells(cells, totals),
            cells.number(sheet.data.previous_totals.win_rate, FMT_SHARE),
        ]
    )
    if unassigned.created or unassigned.closed:
        ws.append(
            [
                cells.text("No persona matched"),
                None,
                None,
                *_deal_cells(cells, unassigned),
            ]
        )
    row = 5 + len(shown) + 1 + (1 if unassigned.created or unassigned.closed else 0)

    ws.append([])
    ws.append([cells.title("Signals: where opinion and outcome disagree")])
    ws.append([cells.header("Persona"), cells.header("Signal"), *([None] * 11), cells.header("Rule")])
    row += 3
    for persona, statement, rule in sheet.signals:
        ws.append([cells.text(persona, bold=True), cells.text(statement), *([None] * 11), cells.text(rule)])
        row += 1
    if not sheet.signals:
        ws.append([None, cells.text(render_part("outcomes", "no_signals"))])
        row += 1

    ws.append([])
    ws.append([cells.title("Where lost deals drop off")])
    ws.append([cells.header("Persona"), cells.header("Stage"), cells.header("Lost"), cells.header("Share of lost")])
    row += 3
    for p in shown:
        for stage in p.deals.drop_off:
            ws.append(
                [
                    cells.text(p.name),
                    cells.text(stage.stage),
                    cells.number(stage.lost),
                    cells.number(stage.share, FMT_SHARE),
                ]
            )
            row += 1

    _write_trend(ws, cells, sheet, row)


def _write_trend(ws: WriteOnlyWorksheet, cells: Cells, sheet: OutcomesSheet, row: int) -> None:
    """Win rate and mean fit per persona and quarter, and a chart of both (fit on its own axis, 1–5)."""
    labels = list(sheet.quarters)
    ws.append([])
    ws.append([cells.title("Win rate and fit per quarter")])
    header_row = row + 3
    ws.append([cells.header("Persona"), *(cells.header(label) for label in labels)])
    personas = [
        p
        for p in sheet.data.personas
        if sheet.data.trend.get(p.persona_id) or any(sheet.fit_by_quarter.get(p.persona_id, {}).values())
    ]
    for p in personas:
        ws.append(
            [
                cells.text(f"{p.name}: win rate"),
                *(cells.number(sheet.data.win_rate(p.persona_id, q), FMT_SHARE) for q in labels),
            ]
        )
    for p in personas:
        fits = sheet.fit_by_quarter.get(p.persona_id, {})
        ws.append([cells.text(f"{p.name}: fit"), *(cells.number(fits.get(q), FMT_MEAN) for q in labels)])
    if not personas or not labels:
        return
    first_rate, first_fit = header_row + 1, header_row + 1 + len(personas)
    categories = Reference(ws, min_col=2, max_col=len(labels) + 1, min_row=header_row, max_row=header_row)
    rates = LineChart()
    rates.title = "Win rate (lines) and fit (dashed, right axis) per quarter"
    rates.y_axis.title = "win rate"
    rates.y_axis.number_format = "0%"
    rates.y_axis.scaling.min = 0
    rates.y_axis.scaling.max = 1
    rates.add_data(
        Reference(ws, min_col=1, max_col=len(labels) + 1, min_row=first_rate, max_row=first_rate + len(personas) - 1),
        from_rows=True,
        titles_from_data=True,
    )
    rates.set_categories(categories)
    fit = LineChart()
    fit.add_data(
        Reference(ws, min_col=1, max_col=len(labels) + 1, min_row=first_fit, max_row=first_fit + len(personas) - 1),
        from_rows=True,
        titles_from_data=True,
    )
    fit.y_axis.axId = 200
    fit.y_axis.title = "fit (1–5)"
    fit.y_axis.scaling.min = 1
    fit.y_axis.scaling.max = 5
    fit.y_axis.crosses = "max"
    for series in fit.series:
        series.graphicalProperties.line.dashStyle = "dash"
    rates += fit
    rates.width = max(18.0, 2.2 * len(labels))
    rates.height = 9.0
    ws.add_chart(rates, f"A{first_fit + len(personas) + 2}")
