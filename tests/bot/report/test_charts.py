"""The fit-by-role chart image: a real PNG, the right bars, the threshold drawn in, alt text with the numbers."""

from __future__ import annotations

import io
from concurrent.futures import ThreadPoolExecutor

from matplotlib.container import BarContainer
from PIL import Image

from bot.report.charts import (
    MAX_PERSONAS,
    PersonaFit,
    RoleFit,
    build_fit_figure,
    count_bars,
    fit_alt_text,
    render_fit_chart,
)
from bot.slack.limits import ALT_TEXT_MAX

MARY = PersonaFit("Marketing Director Mary", 3.6, 7, (RoleFit("sales", 4.1, 3), RoleFit("success", 2.8, 4)))
IAN = PersonaFit("IT Admin Ian", 4.4, 5, (RoleFit("sales", 4.5, 2), RoleFit("onboarding", 4.3, 3)))
NORA = PersonaFit("New Nora", None, 0, ())


def test_the_png_decodes_with_one_bar_per_figure_shown() -> None:
    chart = render_fit_chart([MARY, IAN, NORA], period="2026-Q4")
    image = Image.open(io.BytesIO(chart.png))
    assert image.format == "PNG" and image.size == (chart.width, chart.height)
    image.verify()
    assert chart.bars == 6, "Mary: overall, sales, success; Ian: overall, sales, onboarding; Nora: none"


def test_bars_series_and_the_validated_line() -> None:
    figure = build_fit_figure([MARY, IAN, NORA])
    (ax,) = figure.axes
    containers = [c for c in ax.containers if isinstance(c, BarContainer)]
    assert [c.get_label() for c in containers] == ["Overall", "Sales", "Customer success", "Onboarding"]
    assert [len(c) for c in containers] == [2, 2, 1, 1]
    heights = sorted(round(bar.get_height(), 1) for c in containers for bar in c)
    assert heights == [2.8, 3.6, 4.1, 4.3, 4.4, 4.5]
    assert count_bars(figure) == 6
    (line,) = ax.lines
    assert list(line.get_ydata()) == [4.0, 4.0] and line.get_linestyle() == "--"
    assert line.get_label() == "Validated (4.0)"
    assert ax.get_ylim() == (0.0, 5.0), "the same 0–5 scale as the workbook"
    assert [t.get_text() for t in ax.texts if t.get_text() == "no ratings"] == ["no ratings"], "Nora says so"


def test_alt_text_states_the_numbers() -> None:
    text = fit_alt_text([MARY, IAN, NORA], period="2026-Q4")
    assert "validated at 4.0" in text and "2026-Q4" in text
    assert (
        "Marketing Director Mary: overall 3.6 from 7 people; Sales 4.1 (3 people), Customer success 2.8 (4 people)"
        in text
    )
    assert "IT Admin Ian: overall 4.4 from 5 people; Sales 4.5 (2 people), Onboarding 4.3 (3 people)" in text
    assert "New Nora: no ratings" in text


def test_many_personas_stay_within_slacks_alt_text_limit_and_twenty_bar_groups() -> None:
    many = [
        PersonaFit(f"Persona number {i} with a long descriptive name", 3.0, 9, (RoleFit("sales", 3.5, 4),))
        for i in range(30)
    ]
    chart = render_fit_chart(many)
    assert len(chart.alt_text) <= ALT_TEXT_MAX
    assert chart.bars == 2 * MAX_PERSONAS
    assert Image.open(io.BytesIO(chart.png)).size[0] <= 1400


def test_user_text_is_drawn_as_typed() -> None:
    odd = PersonaFit("Budget $5k Bob $", 2.0, 3, ())
    figure = build_fit_figure([odd])
    (ax,) = figure.axes
    render_fit_chart([odd])  # an odd number of $ would break matplotlib's math mode
    assert ax.get_xticklabels()[0].get_text() == r"Budget \$5k Bob \$"


def test_rendering_is_thread_safe_and_deterministic() -> None:
    expected = render_fit_chart([MARY, IAN]).png
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda _: render_fit_chart([MARY, IAN]).png, range(8)))
    assert all(png == expected for png in results)
