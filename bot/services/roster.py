"""The roster: who is on it, with which role, and who is asked in check-ins. Each method is one transaction.

Nothing here calls Slack: emails, profiles and group members are looked up first (`bot.slack.directory`) and
handed in as plain values. A change that makes someone a manager or an observer (or takes their role away)
withdraws them from open check-in rounds they had not answered, so they are neither reminded nor counted.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from bot.services.access import ClockedService
from persona_store import roster as store
from persona_store.models import RosterLink, RosterMember
from persona_store.roster import ProfileFacts, RosterChange, RosterHealth, RosterSummary
from persona_store.workspaces import ensure_workspace

__all__ = ["LinkInfo", "MemberInfo", "NotOnRoster", "RosterService"]

LINK_KINDS = ("usergroup", "channel")


class NotOnRoster(LookupError):
    """The person is not on the roster; the message is one line for a person."""


@dataclass(frozen=True)
class MemberInfo:
    user_id: str
    name: str
    role: str
    is_manager: bool
    is_observer: bool
    timezone: str | None
    active: bool
    asked: bool
    deactivated_in_slack: bool
    linked: bool

    @classmethod
    def of(cls, m: RosterMember) -> MemberInfo:
        return cls(
            m.slack_user_id,
            m.name,
            m.role,
            m.is_manager,
            m.is_observer,
            m.timezone,
            m.active,
            store.is_asked(m),
            m.slack_deactivated_at is not None,
            m.link_id is not None,
        )


@dataclass(frozen=True)
class LinkInfo:
    id: int
    kind: str
    slack_id: str
    role: str
    synced_at: datetime | None
    last_error: str | None

    @classmethod
    def of(cls, link: RosterLink) -> LinkInfo:
        return cls(link.id, link.kind, link.slack_id, link.role, link.synced_at, link.last_error)


class RosterService(ClockedService):
    def _workspace_id(self, s: Session, team_id: str) -> int:
        return ensure_workspace(s, team_id).id

    def may_manage(self, team_id: str, user_id: str) -> bool:
        """Who may change the roster and the settings in Slack: persona-bot admins."""
        return self._access.is_admin(team_id, user_id)

    # --- reading ----------------------------------------------------------------------------------------------

    def members(self, team_id: str, include_inactive: bool = False) -> list[MemberInfo]:
        with self._sessions.begin() as s:
            ws = self._workspace_id(s, team_id)
            return [MemberInfo.of(m) for m in store.list_roster(s, ws, include_inactive=include_inactive)]

    def known_ids(self, team_id: str) -> set[str]:
        """Everyone on the roster, active or not (they keep their name and zone when listed again)."""
        with self._sessions.begin() as s:
            ws = self._workspace_id(s, team_id)
            return {m.slack_user_id for m in store.list_roster(s, ws, include_inactive=True)}

    def member(self, team_id: str, user_id: str) -> MemberInfo | None:
        with self._sessions.begin() as s:
            found = store.get_member(s, self._workspace_id(s, team_id), user_id)
            return MemberInfo.of(found) if found else None

    def health(self, team_id: str) -> RosterHealth:
        with self._sessions.begin() as s:
            return store.roster_health(s, self._workspace_id(s, team_id))

    # --- changing ---------------------------------------------------------------------------------------------

    def apply(
        self,
        team_id: str,
        changes: Sequence[RosterChange],
        *,
        replace: bool = False,
        dry_run: bool = False,
        profiles: Iterable[ProfileFacts] = (),
    ) -> RosterSummary:
        """Merge `changes` into the roster (`replace`: deactivate everyone missing). `dry_run` works out the same
        summary and diff and writes nothing. `profiles`: what Slack said about people looked up on the way."""
        s = self._sessions()
        try:
            with s.begin():
                ws = self._workspace_id(s, team_id)
                now = self._clock()
                summary = store.apply_changes(s, ws, changes, now, replace=replace)
                store.record_slack_profiles(s, ws, profiles, now=now, names=False)
                if dry_run:
                    s.rollback()
            return summary
        finally:
            s.close()

    def record_profiles(self, team_id: str, profiles: Iterable[ProfileFacts]) -> None:
        """Remember what Slack's profiles say (deactivated, time zone) for members already on the roster."""
        with self._sessions.begin() as s:
            ws = self._workspace_id(s, team_id)
            store.record_slack_profiles(s, ws, profiles, now=self._clock())

    def profiles_to_check(self, team_id: str, limit: int) -> list[str]:
        with self._sessions.begin() as s:
            return store.profiles_to_check(s, self._workspace_id(s, team_id), limit)

    def update(
        self,
        team_id: str,
        user_id: str,
        *,
        role: str | None = None,
        is_manager: bool | None = None,
        is_observer: bool | None = None,
        timezone: str | None = None,
        name: str | None = None,
    ) -> MemberInfo:
        """Change one person already on the roster (`roster set`, the Slack form); NotOnRoster otherwise."""
        with self._sessions.begin() as s:
            ws = self._workspace_id(s, team_id)
            if store.get_member(s, ws, user_id) is None:
                raise NotOnRoster(f"{user_id} is not on the roster: add them first (`roster add {user_id}`)")
            change = RosterChange(user_id, name, role, is_manager, is_observer, timezone)
            store.apply_changes(s, ws, [change], self._clock())
            found = store.get_member(s, ws, user_id)
            assert found is not None
            return MemberInfo.of(found)

    def remove(self, team_id: str, user_ids: Sequence[str]) -> RosterSummary:
        """Take people off the roster (kept inactive: their answers still count); NotOnRoster for a stranger."""
        with self._sessions.begin() as s:
            ws = self._workspace_id(s, team_id)
            strangers = [u for u in user_ids if store.get_member(s, ws, u) is None]
            if strangers:
                raise NotOnRoster(f"{', '.join(strangers)} {'is' if len(strangers) == 1 else 'are'} not on the roster")
            return store.apply_changes(s, ws, [], self._clock(), deactivate=user_ids)

    # --- linked user groups and channels ----------------------------------------------------------------------

    def links(self, team_id: str) -> list[LinkInfo]:
        with self._sessions.begin() as s:
            return [LinkInfo.of(link) for link in store.list_links(s, self._workspace_id(s, team_id))]

    def link(self, team_id: str, kind: str, slack_id: str, role: str, created_by: str) -> LinkInfo:
        """Keep everyone in this user group or channel on the roster with `role` (synced on every clock tick)."""
        if kind not in LINK_KINDS:
            raise ValueError(f"unknown link kind {kind!r}")
        with self._sessions.begin() as s:
            link = store.add_link(s, self._workspace_id(s, team_id), kind, slack_id, role, created_by)
            return LinkInfo.of(link)

    def unlink_slack(self, team_id: str, kind: str, slack_id: str) -> LinkInfo | None:
        """Stop syncing this user group or channel (its people stay, now kept by hand); None if it isn't linked."""
        with self._sessions.begin() as s:
            ws = self._workspace_id(s, team_id)
            link = next((x for x in store.list_links(s, ws) if x.kind == kind and x.slack_id == slack_id), None)
            if link is None:
                return None
            info = LinkInfo.of(link)
            store.remove_link(s, ws, link.id)
            return info

    def unlink(self, team_id: str, link_id: int) -> bool:
        with self._sessions.begin() as s:
            return store.remove_link(s, self._workspace_id(s, team_id), link_id)

    def sync_link(
        self, team_id: str, link_id: int, members: Sequence[RosterChange], profiles: Iterable[ProfileFacts] = ()
    ) -> RosterSummary | None:
        """Make the link's people match its current members: newcomers added with its role (people already on the
        roster keep theirs), those who left deactivated. None when the link was removed meanwhile."""
        now = self._clock()
        with self._sessions.begin() as s:
            ws = self._workspace_id(s, team_id)
            link = store.get_link(s, ws, link_id)
            if link is None:
                return None
            known = {m.slack_user_id: m for m in store.list_roster(s, ws, include_inactive=True)}
            changes = []
            for c in members:
                member = known.get(c.slack_user_id)
                if member is None:  # a newcomer: the link's role, their name and zone from Slack
                    changes.append(RosterChange(c.slack_user_id, c.name, link.role, None, None, c.timezone, link.id))
                elif not member.active and member.link_id == link.id:  # left the group earlier and came back
                    changes.append(RosterChange(c.slack_user_id, link_id=link.id))
                # anyone else keeps what the roster says (taken off by hand: they stay off)
            listed = {c.slack_user_id for c in members}
            keep = [RosterChange(u) for u, m in known.items() if m.link_id == link.id and m.active and u in listed]
            summary = store.apply_changes(s, ws, [*changes, *keep], now, replace_link=link.id)
            store.record_slack_profiles(s, ws, profiles, now=now, names=False)
            link.synced_at, link.last_error = now, None
            return summary

    def record_link_error(self, team_id: str, link_id: int, error: str) -> None:
        """The clock could not read the group or channel: shown on the admin's Home until a sync works."""
        with self._sessions.begin() as s:
            link = store.get_link(s, self._workspace_id(s, team_id), link_id)
            if link is not None:
                link.last_error = error[:64]
