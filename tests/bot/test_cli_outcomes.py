"""`persona-bot outcomes import|signals`: a summary of what was imported and what wasn't; one-line reasons."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from bot.cli import cli
from persona_store.db import make_engine, make_session_factory, upgrade
from persona_store.models import Deal
from tests.outcomes_seed import MARY, seed_world, write_campaigns, write_hubspot, write_salesforce


@pytest.fixture
def database(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    engine = make_engine(url)
    upgrade(engine)
    seed_world(make_session_factory(engine))
    engine.dispose()
    return url


def run(database: str, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["outcomes", *args], env={"DATABASE_URL": database, "SLACK_TEAM_ID": "T0OUT"})
    return result.exit_code, result.stdout, result.stderr


def deals(database: str) -> int:
    engine = make_engine(database)
    try:
        with make_session_factory(engine).begin() as s:
            return int(s.scalar(select(func.count()).select_from(Deal)) or 0)
    finally:
        engine.dispose()


def test_import_reports_counts_and_unmatched_names(database: str, tmp_path: Path) -> None:
    code, out, _ = run(database, "import", str(write_hubspot(tmp_path / "hubspot.csv")))
    assert code == 0
    lines = out.strip().splitlines()
    assert lines[0] == "Imported hubspot.csv: 37 deals rows (37 new, 0 updated; columns: hubspot)."
    assert lines[1:] == [
        "2 rows name a persona I couldn't match (kept without a persona):",
        "• “Procurement Pete” (2 rows, first on line 37): no persona is close",
    ]
    code, out, _ = run(database, "import", "--preset", "hubspot", str(tmp_path / "hubspot.csv"))
    assert code == 0 and "37 deals rows (0 new, 37 updated" in out
    assert deals(database) == 37


def test_salesforce_export_with_semicolons(database: str, tmp_path: Path) -> None:
    code, out, _ = run(database, "import", str(write_salesforce(tmp_path / "sf.csv")), "--team", "T0OUT")
    assert code == 0 and "columns: salesforce" in out


def test_bad_rows_exit_1_and_write_nothing_unless_skip_bad(database: str, tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(f"deal_id,persona,outcome,amount\nA-1,{MARY},won,100\nA-2,{MARY},won,a lot\n", encoding="utf-8")
    code, out, err = run(database, "import", str(path))
    assert code == 1 and out == ""
    assert "line 3: amount “a lot” isn't an amount" in err
    assert err.strip().splitlines()[-1] == "Error: nothing imported from bad.csv: 1 bad rows (see above)"
    assert deals(database) == 0
    code, out, _ = run(database, "import", "--skip-bad", str(path))
    assert code == 0 and "1 deals row (1 new" in out and "Left out 1 bad row." in out
    assert deals(database) == 1


def test_a_yaml_map(database: str, tmp_path: Path) -> None:
    path = tmp_path / "odd.csv"
    path.write_text(f"Ref,Segment,Status\nZ-1,{MARY},won\n", encoding="utf-8")
    mapping = tmp_path / "map.yaml"
    mapping.write_text("Ref: deal_id\nSegment: persona\nStatus: outcome\n", encoding="utf-8")
    code, out, _ = run(database, "import", "--map", str(mapping), str(path))
    assert code == 0 and "1 deals row (1 new, 0 updated; columns: map)" in out


def test_unusable_files_get_one_line(database: str, tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_text("", encoding="utf-8")
    code, _, err = run(database, "import", str(empty))
    assert code == 1 and err.strip() == "Error: the file is empty; it needs a header line naming its columns"
    no_ids = tmp_path / "names.csv"
    no_ids.write_text("Deal Name,Amount\nBig one,100\n", encoding="utf-8")
    code, _, err = run(database, "import", str(no_ids))
    assert code == 1 and len(err.strip().splitlines()) == 1 and "can't find the deal id and persona columns" in err
    bad_map = tmp_path / "map.yaml"
    bad_map.write_text("- just a list\n", encoding="utf-8")
    code, _, err = run(database, "import", "--map", str(bad_map), str(no_ids))
    assert code == 1 and "must map column names to fields" in err


def test_signals_after_imports(database: str, tmp_path: Path) -> None:
    run(database, "import", str(write_hubspot(tmp_path / "d.csv")))
    code, out, _ = run(database, "import", "--kind", "campaigns", str(write_campaigns(tmp_path / "c.csv")))
    assert code == 0 and "Imported c.csv: 2 campaigns rows" in out
    code, out, _ = run(database, "signals", "-q", "2026-Q3")
    assert code == 0
    assert out.splitlines()[0] == "2026-Q3: 5 signals"
    assert (
        "• Reps say Marketing Director Mary fits (4.3), but the win rate fell from 50% to 20% (n=10, then 10) "
        "and deals stall at evaluation (62% of lost deals)." in out
    )
    assert "  Rule: mean fit 4.0 or more (3+ ratings) while the win rate fell 10% points" in out
