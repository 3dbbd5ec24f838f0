"""`persona-bot report [--quarter Q] [-o FILE]`: the managers' workbook, written to a file."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from bot.cli.root import CLIError, Runtime, cli, friendly_errors, pass_runtime
from bot.render import render_part
from bot.services.reports import Report
from persona_store.quarters import QuarterError

# Below this many records the file is written before a bar would be worth drawing.
PROGRESS_MIN_RECORDS = 5_000


class _Progress:
    """A click progress bar over the raw records, only on a terminal and only for large exports."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self._bar: Any = None
        self._done = 0

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled or total < PROGRESS_MIN_RECORDS:
            return
        if self._bar is None:
            self._bar = click.progressbar(length=total, label="writing responses", file=sys.stderr)
            self._bar.__enter__()
        self._bar.update(done - self._done)
        self._done = done

    def close(self) -> None:
        if self._bar is not None:
            self._bar.__exit__(None, None, None)
            self._bar = None


@cli.command("report")
@click.option(
    "--quarter", "-q", metavar="YYYY-Qn", help="A quarter or a range (2026-Q1..2026-Q4); default: the latest."
)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Where to write the .xlsx.")
@pass_runtime
@friendly_errors
def report(runtime: Runtime, quarter: str | None, output: Path | None) -> None:
    """Write the managers' spreadsheet: verdicts, attributes, trend, comments, responses, participation."""
    team_id = runtime.team_id()
    progress = _Progress(enabled=sys.stderr.isatty() and sys.stdout.isatty())
    try:
        built: Report = runtime.services.reports.build(team_id, quarter, progress=progress)
    except QuarterError as error:
        raise CLIError(str(error)) from None
    finally:
        progress.close()
    if built.empty:
        raise CLIError(render_part("reports", "cli_empty", built.period.label))
    path = output or Path.cwd() / built.filename
    if path.suffix.lower() != ".xlsx":
        path = path.with_suffix(path.suffix + ".xlsx") if path.suffix else path.with_suffix(".xlsx")
    try:
        path.write_bytes(built.data)
    except OSError as error:
        raise CLIError(f"cannot write {path} ({error.strerror or error})") from None
    click.echo(render_part("reports", "cli_summary", path, built.period.label, built.headline, built.responses))
