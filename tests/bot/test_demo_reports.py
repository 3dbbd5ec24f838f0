"""`persona-bot demo` ends with a manager's `/persona report`: the workbook lands in the demo folder."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from bot import demo
from bot.demo_reports import REPORT_SCENES


def test_the_demo_ends_by_writing_the_workbook_and_its_headline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert demo.SCENES[-len(REPORT_SCENES) :] == REPORT_SCENES, "the report is the demo's last scene"
    monkeypatch.setattr(demo, "SCENES", list(REPORT_SCENES))
    lines: list[str] = []
    demo.run_demo(tmp_path, echo=lines.append)
    printed = "\n".join(lines)
    written = sorted(tmp_path.glob("persona-report-*.xlsx"))
    assert len(written) == 1
    assert f"Wrote the quarter's workbook to {written[0]}" in printed
    assert "Headline: 4 personas: 1 validated, 1 contested, 1 needs review, 1 not enough data" in printed
    summary = openpyxl.load_workbook(written[0])["Summary"]
    assert str(summary["A1"].value).startswith("Persona report ")
