"""Data rights: `persona-bot export-user U…` and `persona-bot delete-user U…` (a rep who leaves or asks)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import click

from bot.cli.root import CLIError, Runtime, cli, friendly_errors, pass_runtime
from bot.render import plural
from persona_store.users import UserNotFound

_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,31}$")


def _user_id(value: str) -> str:
    user_id = value.strip().upper()
    if not _USER_ID.match(user_id):
        raise CLIError(f"“{value}” isn't a Slack user id; they look like U0123ABCD")
    return user_id


@cli.command("export-user")
@click.argument("slack_user_id")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write here, not stdout.")
@pass_runtime
@friendly_errors
def export_user_command(runtime: Runtime, slack_user_id: str, output: Path | None) -> None:
    """Every record about one person in the workspace, as JSON (roster, feedback, check-ins, edits, reviews)."""
    user_id = _user_id(slack_user_id)
    try:
        data = runtime.services.user_data.export(runtime.team_id(), user_id)
    except UserNotFound as error:
        raise CLIError(str(error)) from None
    text = json.dumps(data, indent=2, ensure_ascii=False, sort_keys=False)
    if output is None:
        click.echo(text)
    else:
        output.write_text(text + "\n", encoding="utf-8")
    counts = ", ".join(plural(len(data[k]), *_COUNTED[k]) for k in _COUNTED if data[k])
    click.echo(f"exported {user_id} from {data['team_id']}: {counts or 'roster row only'}", err=True)


_COUNTED = {  # key: (one, many)
    "feedback": ("feedback", "feedback"),
    "checkins": ("check-in", "check-ins"),
    "personas_owned": ("persona owned", "personas owned"),
    "revisions_authored": ("revision authored", "revisions authored"),
    "reviews": ("review", "reviews"),
    "messages_sent_to_them": ("message sent to them", "messages sent to them"),
}


@cli.command("delete-user")
@click.argument("slack_user_id")
@click.option("--erase-text", is_flag=True, help="Also blank their free-text observations (ratings are kept).")
@click.option("--yes", is_flag=True, help="Don't ask for confirmation.")
@pass_runtime
@friendly_errors
def delete_user_command(runtime: Runtime, slack_user_id: str, erase_text: bool, yes: bool) -> None:
    """Remove one person: roster row gone, their records anonymised so every aggregate stays as it was."""
    user_id = _user_id(slack_user_id)
    team_id = runtime.team_id()
    try:
        runtime.services.user_data.export(team_id, user_id)  # fails fast, before asking, when nothing is on record
    except UserNotFound as error:
        raise CLIError(str(error)) from None
    if not yes:
        click.confirm(
            f"Remove {user_id} from workspace {team_id} (ratings stay, anonymised)? This cannot be undone",
            abort=True,
            err=True,
        )
    try:
        summary = runtime.services.user_data.delete(team_id, user_id, erase_text=erase_text)
    except UserNotFound as error:
        raise CLIError(str(error)) from None
    parts = [
        f"{plural(summary.roster_rows, 'roster row')} removed",
        plural(summary.feedback, "feedback", "feedback"),
        plural(summary.participations, "check-in"),
        plural(summary.revisions, "revision"),
        plural(summary.reviews, "review"),
        plural(summary.ledger_entries, "ledger entry", "ledger entries"),
    ]
    if summary.installations:
        parts.append(plural(summary.installations, "installation"))
    line = f"deleted {user_id} from {team_id}: " + ", ".join(parts) + f"; anonymised as {summary.pseudonym}"
    if summary.personas_unowned:
        line += f"; {plural(summary.personas_unowned, 'persona now has', 'personas now have')} no owner"
    if summary.texts_erased:
        line += "; free texts erased"
    click.echo(line)
