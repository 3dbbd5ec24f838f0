"""`persona-bot outcomes import FILE …` (deal or campaign exports) and `outcomes signals` (what disagrees)."""

from __future__ import annotations

from pathlib import Path

import click

from bot.cli.root import CLIError, Runtime, cli, friendly_errors, pass_runtime
from bot.render import render_part
from persona_store.outcomes import KINDS, PRESETS, read_map_file
from persona_store.quarters import QuarterError


@cli.group("outcomes")
def outcomes_group() -> None:
    """Deal outcomes and campaign results beside front-line fit."""


@outcomes_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--kind", type=click.Choice(KINDS), default="deals", show_default=True, help="What the export holds.")
@click.option("--preset", type=click.Choice(tuple(PRESETS)), help="The CRM's column names (default: detected).")
@click.option(
    "--map",
    "map_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="YAML or JSON file mapping column names to fields, for any other export.",
)
@click.option("--skip-bad", is_flag=True, help="Import the good rows even when some have a bad date or amount.")
@click.option("--team", "team", metavar="TEAM_ID", help="Slack team id of the workspace (same as the global --team).")
@pass_runtime
@friendly_errors
def outcomes_import(
    runtime: Runtime,
    file: Path,
    kind: str,
    preset: str | None,
    map_file: Path | None,
    skip_bad: bool,
    team: str | None,
) -> None:
    """Import a CRM deal export (HubSpot, Salesforce or --map) or campaign results; re-importing updates rows."""
    if team:
        runtime.team = team
    mapping = read_map_file(map_file) if map_file is not None else None
    team_id = runtime.team_id()
    report = runtime.services.outcomes.import_file(
        team_id,
        file,
        kind="campaigns" if kind == "campaigns" else "deals",
        preset=preset,
        mapping=mapping,
        skip_bad=skip_bad,
    )
    text = render_part("outcomes", "import_summary", report, file.name, slack=False)
    if not report.committed:
        click.echo(text, err=True)
        raise CLIError(f"nothing imported from {file.name}: {report.problem_count} bad rows (see above)")
    click.echo(text)


@outcomes_group.command("signals")
@click.option("--quarter", "-q", metavar="YYYY-Qn", help="A quarter or a range; default: the latest with deals.")
@pass_runtime
@friendly_errors
def outcomes_signals(runtime: Runtime, quarter: str | None) -> None:
    """Where what reps say and how deals go disagree, with the numbers and the rule."""
    team_id = runtime.team_id()
    try:
        view = runtime.services.outcomes.load(team_id, quarter)
    except QuarterError as error:
        raise CLIError(str(error)) from None
    if view.data.empty:
        click.echo("no deals or campaign results yet: import some with `persona-bot outcomes import FILE`")
        return
    click.echo(f"{view.period.label}: {len(view.signals)} signal{'s' if len(view.signals) != 1 else ''}")
    for signal in view.signals:
        click.echo(
            "• "
            + render_part("outcomes", "signal", signal.kind.value, signal.persona_name, signal.numbers, slack=False)
        )
        click.echo("  " + render_part("outcomes", "rule", signal.kind.value, signal.rule))
    if not view.signals:
        click.echo(render_part("outcomes", "no_signals"))
