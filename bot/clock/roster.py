"""The clock's roster step: keep linked user groups and channels in sync, and re-read a few Slack profiles.

Every tick, for each linked group or channel: its members are read (`usergroups.users.list` /
`conversations.members`); newcomers join the roster with the link's role (name and time zone from their
profile; bots left out), and people who left it are deactivated. A group Slack can't show is recorded on the
link (the admin's Home shows it) and tried again next tick. Then up to `PROFILES_PER_TICK` members' profiles
are re-read (oldest first) so the Home can say who was deactivated in Slack and who has no time zone.
"""

from __future__ import annotations

import logging

from bot.clock.context import ClockContext
from bot.services.roster import LinkInfo, RosterService
from bot.slack.directory import DirectoryError, SlackDirectory
from persona_store.roster import ProfileFacts, RosterChange, RosterSummary

log = logging.getLogger("persona_bot.roster")

PROFILES_PER_TICK = 20


def sync_link(roster: RosterService, directory: SlackDirectory, team_id: str, link: LinkInfo) -> RosterSummary | None:
    """One link, now: DirectoryError is recorded on the link (and raised for the caller to show)."""
    try:
        members = (
            directory.group_members(link.slack_id)
            if link.kind == "usergroup"
            else directory.channel_members(link.slack_id)
        )
        known = roster.known_ids(team_id)
        newcomers = directory.people(u for u in members if u not in known)
    except DirectoryError as error:
        roster.record_link_error(team_id, link.id, str(error))
        raise
    fresh = {p.user_id for p in newcomers}
    changes = [RosterChange(p.user_id, p.name, timezone=p.timezone) for p in newcomers]
    changes += [RosterChange(u) for u in dict.fromkeys(members) if u in known and u not in fresh]
    return roster.sync_link(team_id, link.id, changes, directory.looked_up())


def sync_links(roster: RosterService, directory: SlackDirectory, team_id: str) -> int:
    """Every link of the workspace; returns how many could not be read."""
    failed = 0
    for link in roster.links(team_id):
        try:
            summary = sync_link(roster, directory, team_id, link)
        except DirectoryError as error:
            failed += 1
            log.warning("could not sync a roster link: %s", error, extra={"team_id": team_id, "link": link.slack_id})
            continue
        if summary is not None and (summary.added or summary.deactivated or summary.updated):
            log.info(
                "roster link synced",
                extra={
                    "team_id": team_id,
                    "link": link.slack_id,
                    "added": summary.added,
                    "updated": summary.updated,
                    "deactivated": summary.deactivated,
                },
            )
    return failed


def refresh_profiles(roster: RosterService, directory: SlackDirectory, team_id: str, limit: int) -> int:
    """Re-read the profiles of the members read longest ago; a user Slack doesn't know counts as deactivated."""
    facts: list[ProfileFacts] = []
    for user_id in roster.profiles_to_check(team_id, limit):
        try:
            person = directory.profile(user_id)
        except DirectoryError as error:
            log.warning("could not read Slack profiles: %s", error, extra={"team_id": team_id})
            break
        facts.append(
            ProfileFacts(user_id, True) if person is None else ProfileFacts(user_id, person.deleted, person.timezone)
        )
    roster.record_profiles(team_id, facts)
    return len(facts)


def reconcile_roster(ctx: ClockContext, team_id: str) -> None:
    """The clock's roster step."""
    if ctx.roster is None:
        log.warning("the roster step needs the database engine in the clock's context; skipped")
        return
    directory = SlackDirectory(ctx.slack.for_team(team_id))
    sync_links(ctx.roster, directory, team_id)
    refresh_profiles(ctx.roster, directory, team_id, PROFILES_PER_TICK)


__all__ = ["PROFILES_PER_TICK", "reconcile_roster", "refresh_profiles", "sync_link", "sync_links"]
