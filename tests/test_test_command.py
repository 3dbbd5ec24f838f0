"""The README's test command on a machine without PostgreSQL: such tests skip, and under CI's flag they fail."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NEEDS_POSTGRES = "tests/e2e/test_serving.py::test_healthz_turns_503_when_the_database_goes_away_and_200_when_it_returns"


def run_pytest(**env: str) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if k not in ("PERSONA_BOT_REQUIRE_ALL", "TEST_DATABASE_URL")}
    full.update(env)
    return subprocess.run(
        [sys.executable, "-m", "pytest", NEEDS_POSTGRES, "-q", "-rs", "-p", "no:cacheprovider"],
        cwd=ROOT,
        env=full,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("require_all", "code", "words"),
    [
        ("", 0, "PostgreSQL is not available: set TEST_DATABASE_URL"),
        ("1", 1, "PostgreSQL is required here (PERSONA_BOT_REQUIRE_ALL is set) but missing"),
    ],
)
def test_a_test_needing_postgres_skips_on_a_laptop_and_fails_in_ci(require_all: str, code: int, words: str) -> None:
    result = run_pytest(TEST_DATABASE_URL="", PERSONA_BOT_REQUIRE_ALL=require_all)
    assert result.returncode == code, result.stdout + result.stderr
    assert words in result.stdout


def test_ci_asks_for_everything_and_runs_the_readmes_test_command() -> None:
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    command = 'python3 -m venv .venv && . .venv/bin/activate && pip install -e ".[dev]" && python -m pytest'
    assert command in readme
    assert "export PERSONA_BOT_REQUIRE_ALL=1" in script
    for step in (
        "python3 -m venv .venv",
        ". .venv/bin/activate",
        'pip install --quiet -e ".[dev]"',
        "python -m pytest",
    ):
        assert step in script
