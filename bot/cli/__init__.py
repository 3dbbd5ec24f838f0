"""`persona-bot`: the command line. Each module adds its commands to the root group."""

from __future__ import annotations

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
    cli.main(args=argv if argv is not None else sys.argv[1:], prog_name="persona-bot")
