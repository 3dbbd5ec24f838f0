"""`persona-bot demo` shows a manager's Home tab: the quarter at a glance and Download report."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.demo import run as demo
from bot.demo.home import HOME_SCENES


def test_the_demo_shows_a_managers_home_tab(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert set(HOME_SCENES) <= set(demo.SCENES)
    monkeypatch.setattr(demo, "SCENES", list(HOME_SCENES))
    lines: list[str] = []
    demo.run_demo(tmp_path, echo=lines.append)
    printed = "\n".join(lines)
    assert "opens persona-bot's Home tab" in printed
    assert "AT A GLANCE" in printed and "4 active personas" in printed and "[ Download report ]" in printed
