"""`persona-bot report`: a file and a one-line summary; a clear one-line reason and exit 1 otherwise."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from bot.cli import cli
from persona_store.db import make_engine, make_session_factory, upgrade
from tests.reports_seed import seed_world


@pytest.fixture
def database(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    engine = make_engine(url)
    upgrade(engine)
    seed_world(make_session_factory(engine))
    engine.dispose()
    return url


def run(database: str, *args: str) -> tuple[int, str, str]:
    runner = CliRunner()
    result = runner.invoke(cli, ["report", *args], env={"DATABASE_URL": database, "SLACK_TEAM_ID": "T0REPORT"})
    return result.exit_code, result.stdout, result.stderr


def test_writes_the_quarter_and_prints_one_line(database: str, tmp_path: Path) -> None:
    target = tmp_path / "q3.xlsx"
    code, out, _ = run(database, "--quarter", "2026-Q3", "-o", str(target))
    assert code == 0
    assert out.strip().splitlines() == [
        f"wrote {target}: 2026-Q3, 4 personas: 1 validated, 1 contested, 1 needs review, 1 not enough data; "
        "response rate 50 % (2 answered of 4: 5 asked − 1 skipped) · 1 unreachable, 1 silent (13 responses)"
    ]
    assert openpyxl.load_workbook(target).sheetnames[0] == "Summary"


def test_default_is_the_latest_quarter_in_the_working_folder(
    database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, _ = run(database)
    assert code == 0 and "2026-Q3" in out
    assert (tmp_path / "persona-report-2026-Q3.xlsx").is_file()


def test_a_range(database: str, tmp_path: Path) -> None:
    code, out, _ = run(database, "-q", "2026-Q2..2026-Q3", "-o", str(tmp_path / "range.xlsx"))
    assert code == 0 and "(15 responses)" in out


@pytest.mark.parametrize(
    ("quarter", "reason"),
    [
        ("2026-Q9", "isn't a quarter; write it like 2026-Q4"),
        ("2025-Q1", "nothing to report for 2025-Q1"),
    ],
)
def test_bad_or_empty_quarter_exits_1_with_one_line(database: str, tmp_path: Path, quarter: str, reason: str) -> None:
    code, _out, err = run(database, "-q", quarter, "-o", str(tmp_path / "x.xlsx"))
    assert code == 1
    assert reason in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "x.xlsx").exists()


def test_progress_shows_only_for_large_exports_on_a_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    from bot.cli.reports import PROGRESS_MIN_RECORDS, _Progress

    quiet = _Progress(enabled=False)
    quiet(PROGRESS_MIN_RECORDS, PROGRESS_MIN_RECORDS * 2)
    small = _Progress(enabled=True)
    small(10, 20)
    assert capsys.readouterr().err == ""
    large = _Progress(enabled=True)
    large(PROGRESS_MIN_RECORDS, PROGRESS_MIN_RECORDS * 2)
    large(PROGRESS_MIN_RECORDS * 2, PROGRESS_MIN_RECORDS * 2)
    large.close()
    assert "writing responses" in capsys.readouterr().err
