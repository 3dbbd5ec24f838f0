"""`persona-bot demo` plays a rep giving feedback from a persona card and from a message shortcut."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from bot.demo import run as demo
from bot.demo.feedback import FEEDBACK_SCENES
from persona_store.db import make_engine, make_session_factory
from persona_store.models import Feedback


def test_the_demo_records_feedback_from_a_card_and_from_a_shortcut(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert all(scene in demo.SCENES for scene in FEEDBACK_SCENES)
    monkeypatch.setattr(demo, "SCENES", list(FEEDBACK_SCENES))
    lines: list[str] = []
    demo.run_demo(tmp_path, echo=lines.append)
    printed = "\n".join(lines)
    assert "clicks “Give feedback” on Mary's card" in printed
    assert "Log persona feedback" in printed
    assert printed.count("is recorded.") == 2 and "[ Edit ]  [ Delete ]" in printed

    engine = make_engine(f"sqlite:///{tmp_path / 'persona_bot_demo.db'}")
    try:
        with make_session_factory(engine).begin() as s:
            rows = list(s.scalars(select(Feedback).order_by(Feedback.id)))
            assert [(r.source, r.fit) for r in rows] == [("adhoc", 4), ("shortcut", 5)]
            assert rows[1].evidence_permalink.startswith("https://") and "Northwind" in rows[1].evidence_message
    finally:
        engine.dispose()
