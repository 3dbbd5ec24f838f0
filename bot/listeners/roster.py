"""`/persona roster` (admins): add people by @mention, email, user group or channel; set role, manager, observer.

The submission is checked in two steps: its shape (`parse_roster_submission`), then what only Slack knows (emails,
a group's handle); every problem comes back next to its field. A linked group or channel is synced at once on the
background executor, and on every clock tick after that (`bot.clock.roster`).
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot import ids
from bot.blocks.roster import RosterForm, build_roster_done, build_roster_modal, parse_roster_submission
from bot.clock.roster import sync_link
from bot.listeners.acking import ack_then, admins_modal
from bot.listeners.requests import CommandHandler, Interaction
from bot.render import render_part
from bot.services import Services
from bot.services.roster import LinkInfo, NotOnRoster
from bot.slack.directory import DirectoryError, SlackDirectory, resolve_rows
from persona_store.files import FileError
from persona_store.roster import RosterChange, RosterSummary
from persona_store.roster_file import RosterRow

log = logging.getLogger("persona_bot.roster")


def open_roster_modal(services: Services, client: WebClient, team_id: str, trigger_id: str) -> None:
    view = build_roster_modal(services.roster.health(team_id), services.roster.links(team_id))
    client.views_open(trigger_id=trigger_id, view=view)


def _changes(form: RosterForm, services: Services, directory: SlackDirectory, team_id: str) -> list[RosterChange]:
    """People and emails -> roster changes (emails and newcomers' profiles looked up in Slack)."""
    rows = [RosterRow(i, slack_user_id=u) for i, u in enumerate(form.people, start=1)]
    rows += [RosterRow(len(rows) + i, email=e) for i, e in enumerate(form.emails, start=1)]
    if not form.remove:
        rows = [RosterRow(r.line, r.slack_user_id, r.email, None, form.role, form.manager, form.observer) for r in rows]
    # Profiles (name, zone) are read after the acknowledgement: up to 50 users.info calls don't fit in 3 seconds.
    return resolve_rows(rows, directory, services.roster.known_ids(team_id), profiles=False)


def _problems(error: FileError) -> str:
    return "; ".join(p.split(": ", 1)[-1] for p in error.problems)[:500]


def handle_roster_submission(ack: Ack, body: dict[str, Any], client: WebClient, services: Services) -> None:
    request = Interaction.of(body)
    team_id, user_id = request.team_id, request.user_id
    if not services.roster.may_manage(team_id, user_id):
        ack(response_action="errors", errors={ids.ROSTER_BLOCK_PEOPLE: render_part("roster", "admins_only")})
        return
    form = parse_roster_submission(body.get("view") or {})
    if form.errors:
        ack(response_action="errors", errors=form.errors)
        return
    directory = SlackDirectory(client)
    errors: dict[str, str] = {}
    changes: list[RosterChange] = []
    try:
        changes = _changes(form, services, directory, team_id)
    except FileError as error:
        errors[ids.ROSTER_BLOCK_EMAILS if form.emails else ids.ROSTER_BLOCK_PEOPLE] = _problems(error)
    except DirectoryError as error:  # Slack refused the lookup itself (a missing scope, a revoked token)
        errors[ids.ROSTER_BLOCK_EMAILS if form.emails else ids.ROSTER_BLOCK_PEOPLE] = str(error)[:500]
    group_id = form.group if form.group_is_id else None
    if form.group and not form.group_is_id:
        try:
            group_id = directory.group_by_handle(form.group)
        except DirectoryError as error:
            errors[ids.ROSTER_BLOCK_GROUP] = render_part("roster", "slack_problem", str(error))
    if errors:
        ack(response_action="errors", errors=errors)
        return

    summary = RosterSummary()
    unlinked: list[LinkInfo] = []
    if form.remove:
        for kind, slack_id, block in (
            ("usergroup", group_id, ids.ROSTER_BLOCK_GROUP),
            ("channel", form.channel, ids.ROSTER_BLOCK_CHANNEL),
        ):
            if slack_id:
                gone = services.roster.unlink_slack(team_id, kind, slack_id)
                if gone is None:
                    ack(response_action="errors", errors={block: render_part("roster", "not_linked")})
                    return
                unlinked.append(gone)
        try:
            if changes:
                summary = services.roster.remove(team_id, [c.slack_user_id for c in changes])
        except NotOnRoster as error:
            ack(response_action="errors", errors={ids.ROSTER_BLOCK_PEOPLE: str(error)})
            return
    elif changes:
        summary = services.roster.apply(team_id, changes, profiles=directory.looked_up())
    linked: list[LinkInfo] = []
    if group_id and form.role and not form.remove:
        linked.append(services.roster.link(team_id, "usergroup", group_id, form.role, user_id))
    if form.channel and form.role and not form.remove:
        linked.append(services.roster.link(team_id, "channel", form.channel, form.role, user_id))
    ack(response_action="update", view=build_roster_done(summary, form.remove, linked, unlinked))
    added = [d.slack_user_id for d in summary.diffs if d.kind == "added"]
    if added:
        services.background.submit(_read_profiles, services, client, team_id, added)
    for link in linked:
        services.background.submit(_sync_now, services, client, team_id, link)


def _read_profiles(services: Services, client: WebClient, team_id: str, user_ids: list[str]) -> None:
    """Names, time zones and deactivated accounts of people just added, from their Slack profiles."""
    directory = SlackDirectory(client)
    try:
        directory.people(user_ids)
    except DirectoryError as error:  # the clock re-reads profiles anyway (`bot.clock.roster.refresh_profiles`)
        log.warning("could not read new roster members' profiles: %s", error, extra={"team_id": team_id})
    services.roster.record_profiles(team_id, directory.looked_up())


def _sync_now(services: Services, client: WebClient, team_id: str, link: LinkInfo) -> None:
    """The first sync of a new link, right after the admin saved it (the clock keeps it in sync after)."""
    try:
        sync_link(services.roster, SlackDirectory(client), team_id, link)
    except DirectoryError as error:  # recorded on the link; the admin's Home shows it
        log.warning("could not sync a new roster link: %s", error, extra={"team_id": team_id})


handle_roster, handle_home_roster = admins_modal(
    "roster", lambda services, team_id, user_id: services.roster.may_manage(team_id, user_id), open_roster_modal
)


COMMANDS: dict[str, CommandHandler] = {"roster": handle_roster}


def register(app: App, services: Services) -> None:
    app.view(ids.VIEW_ROSTER)(handle_roster_submission)
    app.action(ids.ACTION_HOME_ROSTER)(ack_then(handle_home_roster))


__all__ = ["handle_roster", "open_roster_modal", "register"]
