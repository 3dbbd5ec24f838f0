"""`persona-bot demo` plays an adaptive check-in and an owner accepting a revision draft."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.demo import run as demo
from bot.demo.checkins import CHECKIN_SCENES
from bot.demo.drafts import DRAFT_SCENES


def test_the_demo_plays_an_adaptive_checkin_and_an_owner_accepting_a_draft(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert set(DRAFT_SCENES) <= set(demo.SCENES)
    monkeypatch.setattr(demo, "SCENES", [*DRAFT_SCENES, *CHECKIN_SCENES])
    lines: list[str] = []
    demo.run_demo(tmp_path, echo=lines.append)
    printed = "\n".join(lines)
    assert "questions in all" in printed, "the DM's estimate counts the real questions"
    assert "picked for you" in printed, "the light page"
    assert "Reword or remove pain point" in printed and "said it doesn't match" in printed
    assert "change note is already written" in printed and "said it doesn't match" in printed
    assert "Evidence behind it" in printed
    assert "a fresh start" in printed
