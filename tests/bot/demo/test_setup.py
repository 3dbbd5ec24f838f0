"""`persona-bot demo` shows week one: an admin adds a rep by @mention and moves the check-in open hour."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.demo import run as demo
from bot.demo.setup import SETUP_SCENES


def test_the_demo_adds_a_rep_by_mention_and_changes_the_open_hour(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert set(SETUP_SCENES) <= set(demo.SCENES)
    monkeypatch.setattr(demo, "SCENES", list(SETUP_SCENES))
    lines: list[str] = []
    world = demo.run_demo(tmp_path, echo=lines.append)
    printed = "\n".join(lines)
    assert "types `/persona roster`" in printed and "◻ People" in printed
    assert "Roster saved: *1* added" in printed
    assert "(on the roster: Riley Chen, success, America/Chicago from their Slack profile)" in printed
    assert "types `/persona settings`" in printed and "• open hour: 10 → *9*" in printed
    assert world.services.workspace_settings.current(demo.TEAM_ID).open_hour == 9
