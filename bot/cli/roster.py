"""`persona-bot roster import|list|add|remove|set`: the people persona-bot knows, from the command line.

People are Slack user ids (`U0123ABCD`, `<@U0123ABCD>`) or emails, which are looked up in Slack
(`users.lookupByEmail`); someone new gets their name and time zone from Slack's profile unless given.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click
from slack_sdk import WebClient
from slack_sdk.errors import SlackClientError

from bot.cli.root import CLIError, Runtime, cli, friendly_errors, pass_runtime
from bot.services.roster import NotOnRoster
from bot.slack.clients import SlackUnavailable
from bot.slack.directory import DirectoryError, SlackDirectory, resolve_rows
from persona_store.files import FileError, is_timezone
from persona_store.roster import MemberDiff, ProfileFacts, RosterChange, RosterSummary
from persona_store.roster_file import (
    RosterRow,
    is_email,
    parse_role,
    parse_roster_file,
    parse_slack_user,
    role_problem,
)


def plural(count: int, one: str, many: str | None = None) -> str:
    return f"{count} {one if count == 1 else (many or one + 's')}"


def slack_directory(runtime: Runtime, team_id: str) -> SlackDirectory:
    """Slack for this workspace when a token is configured (reached on the first lookup only); without one, ids
    work and emails are refused."""
    if not (runtime.settings.slack_bot_token or runtime.settings.oauth_enabled):
        return SlackDirectory(None)

    def client() -> WebClient:
        try:
            return runtime.slack_clients.for_team(team_id)
        except SlackUnavailable as error:
            raise DirectoryError(f"can't reach Slack for this workspace: {error}") from None
        except (SlackClientError, OSError) as error:  # Slack unreachable (a URLError is an OSError)
            raise DirectoryError(f"can't reach Slack ({type(error).__name__}); try again in a minute") from None

    return SlackDirectory(client)


def _resolve(
    runtime: Runtime, team_id: str, rows: Sequence[RosterRow]
) -> tuple[list[RosterChange], list[ProfileFacts]]:
    directory = slack_directory(runtime, team_id)
    try:
        changes = resolve_rows(rows, directory, runtime.services.roster.known_ids(team_id))
    except DirectoryError as error:
        raise CLIError(str(error)) from None
    return changes, directory.looked_up()


def _summary_line(summary: RosterSummary) -> str:
    return (
        f"{summary.added} added, {summary.updated} updated, {summary.unchanged} unchanged, "
        f"{summary.deactivated} deactivated"
    )


def _show(value: Any) -> str:
    if value is None or value == "":
        return "-"
    return str(value).lower() if isinstance(value, bool) else str(value)


def _diff_line(diff: MemberDiff) -> str:
    sign = {"added": "+", "updated": "~", "reactivated": "~", "deactivated": "-"}[diff.kind]
    if diff.kind == "added":
        detail = ", ".join(f"{name.removeprefix('is_')} {_show(after)}" for name, _, after in diff.fields)
    elif diff.kind == "deactivated":
        detail = "deactivated"
    else:
        moved = ", ".join(
            f"{name.removeprefix('is_')} {_show(before)} -> {_show(after)}" for name, before, after in diff.fields
        )
        detail = ("reactivated" + (f"; {moved}" if moved else "")) if diff.kind == "reactivated" else moved
    return f"{sign} {diff.slack_user_id:<12} {detail}"


@cli.group("roster")
def roster_group() -> None:
    """The people persona-bot knows: reps who answer check-ins, managers and observers."""


@roster_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--replace", is_flag=True, help="Deactivate everyone on the roster who is missing from the file.")
@click.option("--dry-run", is_flag=True, help="Print what would change and write nothing.")
@pass_runtime
@friendly_errors
def roster_import(runtime: Runtime, file: Path, replace: bool, dry_run: bool) -> None:
    """Merge a roster CSV (`,` or `;`): slack_user_id or email, and optionally name, role, manager, observer,
    timezone. An empty cell keeps what the roster says. All or nothing."""
    rows = parse_roster_file(file)
    team_id = runtime.team_id()
    changes, profiles = _resolve(runtime, team_id, rows)
    summary = runtime.services.roster.apply(team_id, changes, replace=replace, dry_run=dry_run, profiles=profiles)
    deleted = {p.slack_user_id for p in profiles if p.deleted}
    if dry_run:
        for diff in summary.diffs:
            click.echo(_diff_line(diff))
        click.echo(f"dry run, nothing written: {plural(len(rows), 'row')} from {file.name}: {_summary_line(summary)}")
        return
    verb = "imported" if replace else "merged"
    click.echo(f"{verb} {plural(len(rows), 'roster row')} from {file.name}: {_summary_line(summary)}")
    if deleted:
        who = ", ".join(sorted(deleted))
        click.echo(f"note: Slack says {who} {'is' if len(deleted) == 1 else 'are'} deactivated")


@roster_group.command("list")
@click.option("--all", "include_inactive", is_flag=True, help="Include people no longer on the roster.")
@pass_runtime
@friendly_errors
def roster_list(runtime: Runtime, include_inactive: bool) -> None:
    """List the roster."""
    members = runtime.services.roster.members(runtime.team_id(), include_inactive=include_inactive)
    if not members:
        click.echo("the roster is empty: add people with `persona-bot roster add` or `roster import FILE.csv`")
    for m in members:
        flags = " manager" if m.is_manager else ""
        flags += " observer" if m.is_observer else ""
        flags += "" if m.asked or not m.active else " (not asked)"
        flags += " [deactivated in Slack]" if m.deactivated_in_slack else ""
        flags += "" if m.active else " [inactive]"
        zone = m.timezone or "(zone from Slack)"
        click.echo(f"{m.user_id:<12} {m.name:<28} {m.role or '(no role)':<11} {zone}{flags}")


def _person_rows(people: Sequence[str]) -> list[RosterRow]:
    rows: list[RosterRow] = []
    for index, text in enumerate(people, start=1):
        user_id = parse_slack_user(text)
        if user_id is None and not is_email(text):
            raise CLIError(f"'{text}' is neither a Slack user id like U0123ABCD nor an email address")
        rows.append(RosterRow(index, user_id, None if user_id else text.strip()))
    return rows


def _fields(role: str | None, timezone: str | None) -> tuple[str | None, str | None]:
    parsed_role = None
    if role is not None:
        parsed_role = parse_role(role)
        if parsed_role is None:
            raise CLIError(role_problem(role))
    if timezone and not is_timezone(timezone):
        raise CLIError(f"timezone '{timezone}' is not an IANA time zone like Europe/Berlin")
    return parsed_role, timezone


_person_options = [
    click.option("--role", help="sales, success, onboarding or marketing (aliases such as CSM or AE work)."),
    click.option("--manager/--not-manager", default=None, help="Managers see reports and are never asked."),
    click.option("--observer/--not-observer", default=None, help="Observers are never asked and never counted."),
    click.option("--timezone", help="IANA zone, e.g. Europe/Berlin ('' clears it: Slack's profile, else default)."),
    click.option("--name", help="Display name (default: Slack's)."),
]


def person_options(func: Any) -> Any:
    for option in reversed(_person_options):
        func = option(func)
    return func


def _lookup_errors(func: Any) -> Any:
    from functools import wraps

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except NotOnRoster as error:
            raise CLIError(str(error)) from None
        except FileError as error:  # an email Slack doesn't know: one line per person
            raise CLIError("; ".join(p.removeprefix("line ").split(": ", 1)[-1] for p in error.problems)) from None

    return wrapper


@roster_group.command("add")
@click.argument("people", nargs=-1, required=True)
@person_options
@pass_runtime
@_lookup_errors
@friendly_errors
def roster_add(
    runtime: Runtime,
    people: tuple[str, ...],
    role: str | None,
    manager: bool | None,
    observer: bool | None,
    timezone: str | None,
    name: str | None,
) -> None:
    """Add (or reactivate) people by Slack id or email; the rest of the roster is untouched."""
    parsed_role, zone = _fields(role, timezone)
    if name is not None and len(people) > 1:
        raise CLIError("--name names one person; add people one at a time to name them")
    team_id = runtime.team_id()
    rows = [
        RosterRow(r.line, r.slack_user_id, r.email, name, parsed_role, manager, observer, zone)
        for r in _person_rows(people)
    ]
    changes, profiles = _resolve(runtime, team_id, rows)
    summary = runtime.services.roster.apply(team_id, changes, profiles=profiles)
    for diff in summary.diffs:
        click.echo(_diff_line(diff))
    click.echo(f"roster: {_summary_line(summary)}")
    roster = runtime.services.roster
    no_role = [c.slack_user_id for c in changes if (m := roster.member(team_id, c.slack_user_id)) and not m.role]
    if no_role:
        click.echo(
            f"note: {', '.join(no_role)} {'has' if len(no_role) == 1 else 'have'} no role and won't be asked "
            "until given one (`persona-bot roster set ID --role sales`)"
        )


@roster_group.command("remove")
@click.argument("people", nargs=-1, required=True)
@pass_runtime
@_lookup_errors
@friendly_errors
def roster_remove(runtime: Runtime, people: tuple[str, ...]) -> None:
    """Take people off the roster (kept as inactive, so their answers still count)."""
    team_id = runtime.team_id()
    changes, _ = _resolve(runtime, team_id, _person_rows(people))
    summary = runtime.services.roster.remove(team_id, [c.slack_user_id for c in changes])
    click.echo(f"roster: {plural(summary.deactivated, 'person', 'people')} deactivated")


@roster_group.command("set")
@click.argument("person")
@person_options
@pass_runtime
@_lookup_errors
@friendly_errors
def roster_set(
    runtime: Runtime,
    person: str,
    role: str | None,
    manager: bool | None,
    observer: bool | None,
    timezone: str | None,
    name: str | None,
) -> None:
    """Change one person's role, manager or observer flag, time zone or name."""
    parsed_role, zone = _fields(role, timezone)
    if all(v is None for v in (role, manager, observer, timezone, name)):
        raise CLIError(
            "nothing to change: give --role, --manager/--not-manager, --observer/--not-observer, --timezone or --name"
        )
    team_id = runtime.team_id()
    changes, _ = _resolve(runtime, team_id, _person_rows([person]))
    m = runtime.services.roster.update(
        team_id,
        changes[0].slack_user_id,
        role=parsed_role,
        is_manager=manager,
        is_observer=observer,
        timezone=zone,
        name=name,
    )
    state = "asked in check-ins" if m.asked else "not asked in check-ins"
    flags = "".join(f", {f}" for f, on in (("manager", m.is_manager), ("observer", m.is_observer)) if on)
    click.echo(f"{m.user_id} {m.name}: {m.role or 'no role'}{flags}, {m.timezone or 'zone from Slack'}; {state}")
