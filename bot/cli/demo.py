"""`persona-bot demo`: the whole loop offline, for a first look."""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path

import click

from bot.cli.root import cli, friendly_errors


@cli.command("demo")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for the demo database and files (default: a new temporary folder).",
)
@friendly_errors
def demo(out: Path | None) -> None:
    """Play the whole loop offline on SQLite against a local Slack stand-in, and show what people see."""
    from bot.demo.run import run_demo

    # The demo prints what people see; the app's JSON request logs would drown it.
    logging.getLogger().setLevel(logging.WARNING)
    run_demo(out or Path(tempfile.mkdtemp(prefix="persona-bot-demo-")))
