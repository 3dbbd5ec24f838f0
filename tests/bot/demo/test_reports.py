"""`persona-bot demo` ends with a manager's `/persona report`, and Mary's fit reads the same everywhere."""

from __future__ import annotations

import re
from pathlib import Path

import openpyxl

from bot.demo import run as demo
from bot.demo.checkins import CHECKIN_SCENES
from bot.demo.home import HOME_SCENES
from bot.demo.reports import HISTORY_SCENES, REPORT_SCENES


def test_the_team_history_comes_before_every_figure_that_describes_it() -> None:
    order = demo.SCENES
    assert order[-len(REPORT_SCENES) :] == REPORT_SCENES, "the report is the demo's last scene"
    history = order.index(HISTORY_SCENES[0])
    assert history < order.index(CHECKIN_SCENES[0]) < order.index(HOME_SCENES[0]), (
        "no round summary and no Home tab before the answers they describe exist"
    )


def test_the_whole_demo_shows_one_figure_for_mary_on_home_in_the_summary_and_in_the_workbook(
    tmp_path: Path,
) -> None:
    lines: list[str] = []
    demo.run_demo(tmp_path, echo=lines.append)
    printed = "\n".join(lines)
    written = sorted(tmp_path.glob("persona-report-*.xlsx"))
    assert len(written) == 1
    assert f"Wrote the quarter's workbook to {written[0]}" in printed
    assert "Headline: 4 personas:" in printed
    summary = openpyxl.load_workbook(written[0])["Summary"]
    assert str(summary["A1"].value).startswith("Persona report ")
    found = re.search(
        r"Mary's fit is (.+) on the Home tab, (.+) in the round summary and (.+) in the workbook\.", printed
    )
    assert found is not None, printed[-2000:]
    home, in_summary, in_workbook = found.groups()
    assert home == in_summary == in_workbook and "from" in home and "people" in home
