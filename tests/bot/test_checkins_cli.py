"""`persona-bot checkin …`: one-line reasons and exit status 1 for what a person got wrong, never a traceback."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import cli

Run = Callable[..., tuple[int, str]]


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Run:
    monkeypatch.chdir(tmp_path)  # no stray .env
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}", "SLACK_TEAM_ID": "T0CLI", "SLACK_BOT_TOKEN": ""}

    def invoke(*args: str) -> tuple[int, str]:
        result = CliRunner().invoke(cli, list(args), env={**env, "LOG_LEVEL": "WARNING"}, catch_exceptions=False)
        return result.exit_code, result.output

    return invoke


def test_status_and_remind_and_close_without_a_round(run: Run) -> None:
    code, out = run("checkin", "status")
    assert code == 1
    assert out.endswith("Error: there is no check-in round yet; open one with `persona-bot checkin open`\n")
    code, out = run("checkin", "remind")
    assert code == 1 and "no open check-in round" in out
    code, out = run("checkin", "close")
    assert code == 1 and "no check-in round to close" in out


def test_bad_quarter_and_due_date_and_no_personas_are_one_line_reasons(run: Run) -> None:
    code, out = run("checkin", "open", "--quarter", "2026-Q9")
    assert code == 1 and "a quarter looks like 2026-Q4" in out and "Traceback" not in out
    code, out = run("checkin", "open", "--due", "next friday")
    assert code == 1 and "--due must be a date like" in out
    code, out = run("checkin", "open", "--quarter", "2026-Q4")
    assert code == 1 and "no active personas to check" in out
