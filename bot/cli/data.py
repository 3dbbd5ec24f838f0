"""Data commands: `db upgrade`, `personas import|export|list` (the roster is in `bot/cli/roster.py`)."""

from __future__ import annotations

from pathlib import Path

import click

from bot.cli.root import Runtime, cli, friendly_errors, pass_runtime
from bot.cli.roster import slack_directory
from bot.roster_directory import resolve_owner_emails
from persona_store import db
from persona_store.files import dump_persona_file, parse_persona_file
from persona_store.personas import export_personas, import_personas, list_personas

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
    """Import personas from a YAML or JSON file (all or nothing)."""
    specs = parse_persona_file(file)
    specs = resolve_owner_emails(specs, slack_directory(runtime, runtime.team_id()))
    workspace_id = runtime.workspace_id()
    with runtime.sessions.begin() as s:
        summary = import_personas(s, workspace_id, specs, author="import")
    click.echo(
        f"imported {len(specs)} personas from {file.name}: "
        f"{summary.created} new, {summary.updated} changed, {summary.unchanged} unchanged"
    )


@personas_group.command("export")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write here, not stdout.")
@pass_runtime
@friendly_errors
def personas_export(runtime: Runtime, output: Path | None) -> None:
    """Export every persona, in the import format (YAML, or JSON for a .json file)."""
    workspace_id = runtime.workspace_id()
    with runtime.sessions.begin() as s:
        specs = export_personas(s, workspace_id)
    text = dump_persona_file(specs, fmt="json" if output is not None and output.suffix.lower() == ".json" else "yaml")
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        click.echo(f"wrote {len(specs)} personas to {output}", err=True)


@personas_group.command("list")
@click.option("--all", "include_retired", is_flag=True, help="Include retired personas.")
@pass_runtime
@friendly_errors
def personas_list(runtime: Runtime, include_retired: bool) -> None:
    """List personas: key, name, role, revision."""
    workspace_id = runtime.workspace_id()
    with runtime.sessions.begin() as s:
        rows = [
            (p.key, p.name, p.role, p.status, p.revision_number)
            for p in list_personas(s, workspace_id, include_retired=include_retired)
        ]
    if not rows:
        click.echo("no personas yet: import some with `persona-bot personas import FILE`")
    for key, name, role, status, revision in rows:
        suffix = "" if status == "active" else f" [{status}]"
        click.echo(f"{key:<32} {name} ({role or 'no role'}) rev {revision}{suffix}")
