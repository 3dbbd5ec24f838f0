"""`persona-bot demo`: a manager DMs a small deal export; the owner's Home shows one signal."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.demo import run as demo
from bot.demo.outcomes import OUTCOME_SCENES


def test_the_demo_imports_a_deal_export_and_shows_a_signal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert all(scene in demo.SCENES for scene in OUTCOME_SCENES)
    monkeypatch.setattr(demo, "SCENES", list(OUTCOME_SCENES))
    lines: list[str] = []
    demo.run_demo(tmp_path, echo=lines.append)
    printed = "\n".join(lines)
    assert "Imported hubspot-deals.csv: 42 deals rows (42 new, 0 updated; columns: hubspot)." in printed
    assert "“Procurement Pat” (2 rows, first on line 26)" in printed
    assert (
        "Reps rarely meet IT Admin Ivan (0 fit ratings), yet IT Admin Ivan is on 47% of won deals (8 of 17)." in printed
    )
