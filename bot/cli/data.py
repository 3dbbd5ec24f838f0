"""Data commands: `db upgrade`, `personas import|export|list` (the roster is in `bot/cli/roster.py`)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import click
from slack_sdk import WebClient
from slack_sdk.errors import SlackClientError

from bot.cli.root import Runtime, cli, friendly_errors, pass_runtime
from bot.render import plural
from bot.slack.clients import SlackUnavailable
from bot.slack.directory import SlackDirectory, resolve_owner_emails
from persona_store import db
from persona_store.files import (
    FileError,
    dump_persona_file,
    parse_persona_file,
    persona_file_format,
)

# --- database -------------------------------------------------------------------------------------------------


@cli.group("db")
def db_group() -> None:
    """Database maintenance."""


@db_group.command("upgrade")
@pass_runtime
@friendly_errors
def db_upgrade(runtime: Runtime) -> None:
    """Apply migrations (also done automatically on an empty database)."""
    db.upgrade(runtime.engine)
    click.echo("database is up to date")


# --- personas -------------------------------------------------------------------------------------------------


@cli.group("personas")
def personas_group() -> None:
    """Import, export and list personas."""


@personas_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@pass_runtime
@friendly_errors
def personas_import(runtime: Runtime, file: Path) -> None:
    """Import personas from a YAML, JSON, Markdown (.md) or CSV file (all or nothing; owners may be emails)."""
    specs = parse_persona_file(file)
    team_id = runtime.team_id()
    if any(spec.owner and "@" in spec.owner for spec in specs):
        specs, problems = resolve_owner_emails(specs, SlackDirectory(_slack_client(runtime)))
        if problems:
            raise FileError(problems)
    summary = runtime.services.persona_files.import_specs(team_id, specs)
    click.echo(
        f"imported {plural(len(specs), 'persona')} from {file.name}: "
        f"{summary.created} new, {summary.updated} changed, {summary.unchanged} unchanged"
    )


def _slack_client(runtime: Runtime) -> WebClient | None:
    """The workspace's Web API client for looking people up, or None when persona-bot has no token for it."""
    try:
        return runtime.slack_clients.for_team(runtime.team_id())
    except (SlackUnavailable, SlackClientError, OSError):  # no token, a refused one, or Slack unreachable
        return None


@personas_group.command("export")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write here, not stdout.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["yaml", "json", "md"]),
    help="File format (default: from the -o file's extension, else yaml); md is Markdown.",
)
@pass_runtime
@friendly_errors
def personas_export(runtime: Runtime, output: Path | None, fmt: Literal["yaml", "json", "md"] | None) -> None:
    """Export every persona, in an import format: YAML, JSON or Markdown."""
    if fmt is None:
        fmt = persona_file_format(output.name) if output is not None else "yaml"
    specs = runtime.services.persona_files.export_specs(runtime.team_id())
    text = dump_persona_file(specs, fmt=fmt)
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        click.echo(f"wrote {plural(len(specs), 'persona')} to {output}", err=True)


@personas_group.command("list")
@click.option("--all", "include_retired", is_flag=True, help="Include retired personas.")
@pass_runtime
@friendly_errors
def personas_list(runtime: Runtime, include_retired: bool) -> None:
    """List personas: key, name, role, revision."""
    lines = runtime.services.persona_files.lines(runtime.team_id(), include_retired=include_retired)
    if not lines:
        click.echo("no personas yet: import some with `persona-bot personas import FILE`")
    for line in lines:
        suffix = "" if line.status == "active" else f" [{line.status}]"
        click.echo(f"{line.key:<32} {line.name} ({line.role or 'no role'}) rev {line.revision}{suffix}")
