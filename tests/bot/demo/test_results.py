"""`persona-bot demo` shows `/persona results mary` with its chart, an owner's Home, and the round summary's chart."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from bot.demo import run as demo
from bot.demo.checkins import CHECKIN_SCENES
from bot.demo.results import RESULTS_SCENES


def test_the_demo_shows_results_an_owners_home_and_the_summary_chart(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    order = demo.SCENES
    assert order.index(CHECKIN_SCENES[0]) < order.index(RESULTS_SCENES[0]), "results describe the round's answers"
    monkeypatch.setattr(demo, "SCENES", [*CHECKIN_SCENES, *RESULTS_SCENES])
    lines: list[str] = []
    demo.run_demo(tmp_path, echo=lines.append)
    printed = "\n".join(lines)
    assert "Verdicts and their change" in printed and "[ Results ]  [ Download report ]" in printed
    assert "under it the chart fit-by-role.png, alt text: Bar chart of fit by role" in printed
    assert "types `/persona results mary`" in printed
    assert "RESULTS: MARKETING DIRECTOR MARY" in printed and "Most disputed statements" in printed
    assert "[ Download report ]  [ Edit persona ]  [ History ]" in printed
    assert "(a persona owner) opens persona-bot's Home tab" in printed
    assert "[ Results ]  [ Edit ]  [ Still accurate ]" in printed
    for name in ("summary-fit-by-role.png", "results-fit-by-role.png"):
        image = Image.open(io.BytesIO((tmp_path / name).read_bytes()))
        assert image.format == "PNG" and image.size[0] > 0
