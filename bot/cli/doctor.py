"""`persona-bot doctor`: check a setup as a whole, one line per check; exit 1 when any check fails."""

from __future__ import annotations

import click
from sqlalchemy import Engine

from bot.cli.root import CLIError, Runtime, cli, pass_runtime
from bot.doctor import run_doctor
from bot.services.doctor import Check, DoctorService
from bot.slack.oauth import BOT_SCOPES
from persona_store import db


def plain(text: str) -> str:
    """mrkdwn for a terminal: no stars or backticks, no escapes."""
    for mark in ("*", "`"):
        text = text.replace(mark, "")
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def check_line(check: Check, *, show_team: bool = False) -> str:
    """`✓ what works`, `✗ what to fix`, `– a note`; with several workspaces each line names its own."""
    mark = "–" if check.informational else ("✓" if check.ok else "✗")
    where = f"[{check.team_id}] " if show_team and check.team_id and check.team_id not in check.text else ""
    return f"{mark} {where}{plain(check.text)}"


@cli.command("doctor")
@pass_runtime
def doctor(runtime: Runtime) -> None:
    """Check the setup: tokens and their scopes, signing secret, database and migrations, roster, owners, clock."""
    settings = runtime.settings
    engines: list[Engine] = []

    def engine() -> Engine:
        made = db.make_engine(settings.database_url)  # never migrates: the doctor reports what it finds
        engines.append(made)
        return made

    try:
        report = run_doctor(settings, DoctorService(settings, BOT_SCOPES), engine)
    finally:
        for made in engines:
            made.dispose()
    show_team = len({c.team_id for c in report.checks if c.team_id}) > 1
    for check in report.checks:
        click.echo(check_line(check, show_team=show_team))
    if not report.ok:
        raise CLIError(plain(report.summary))
    click.echo(plain(report.summary))
