"""`persona-bot`: the command line. Each module adds its commands to the root group."""

from __future__ import annotations

import gc
import sys

from bot.cli import checkins, data, demo, doctor, outcomes, reports, reviews, roster, serving, users
from bot.cli.root import cli

__all__ = [
    "checkins",
    "cli",
    "data",
    "demo",
    "doctor",
    "main",
    "outcomes",
    "reports",
    "reviews",
    "roster",
    "serving",
    "users",
]


def main(argv: list[str] | None = None) -> None:
    # What the imports made lives as long as the process: the garbage collector need never walk it again, during
    # the run or in the interpreter's last collection at exit (about 0.1 s of CPU a process, which a round resumed
    # after a crash pays at both ends: bench/crash_resume.py).
    gc.freeze()
    cli.main(args=argv if argv is not None else sys.argv[1:], prog_name="persona-bot")
