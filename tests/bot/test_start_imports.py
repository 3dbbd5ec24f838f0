"""A process start (the clock, each CLI command) doesn't pay for the charts' and the workbook's libraries.

matplotlib and openpyxl cost about 0.5 s to import together; a clock or a `checkin open` resumed after a crash
pays its start-up once more (bench/crash_resume.py), so only drawing a chart or writing a workbook imports them.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("matplotlib", "openpyxl", "numpy", "alembic")


def test_the_cli_and_the_clock_start_without_the_heavy_libraries() -> None:
    probe = (
        "import sys; import bot.cli, bot.cli.root, bot.cli.checkins, bot.clock.jobs, bot.clock.summary_chart;"
        f" print(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    )
    loaded = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True)
    assert loaded.stdout.strip() == "", f"imported at start: {loaded.stdout.strip()}"
