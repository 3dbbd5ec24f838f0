"""The roster of people persona-bot knows: queries and the change rules, taking a Session (never committing).

Who is asked in check-ins is decided here, once (`asked_in_checkins`): active members with a role that meets
customers (sales, success, onboarding) who are neither managers nor observers. Managers, marketing staff,
observers and people without a role are on the roster (they see Home, reports, their own feedback) but are never
asked, reminded or counted as not having answered.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, not_, select
from sqlalchemy.orm import Session

from persona_store.models import CheckinRound, Participation, RosterLink, RosterMember, utcnow
from persona_store.roster_file import RosterEntry

# Roles whose people meet customers and so are asked whether the personas still match them.
ASKED_ROLES = ("sales", "success", "onboarding")
# The columns a change can set, in the order they are shown.
CHANGE_FIELDS = ("name", "role", "is_manager", "is_observer", "timezone")


@dataclass(frozen=True)
class RosterChange:
    """What to set for one person. None leaves a field as it is; `timezone=""` clears it (Slack's, else default).

    A person new to the roster gets their user id as name and no role when those are not given.
    """

    slack_user_id: str
    name: str | None = None
    role: str | None = None
    is_manager: bool | None = None
    is_observer: bool | None = None
    timezone: str | None = None
    link_id: int | None = None  # set when a linked user group or channel brought the person in

    @classmethod
    def of(cls, entry: RosterEntry | RosterChange) -> RosterChange:
        if isinstance(entry, RosterChange):
            return entry
        return cls(entry.slack_user_id, entry.name, entry.role, entry.is_manager, None, entry.timezone or "")


@dataclass(frozen=True)
class ProfileFacts:
    """What Slack's profile said about a person when we read it."""

    slack_user_id: str
    deleted: bool
    timezone: str | None = None
    name: str | None = None


@dataclass(frozen=True)
class MemberDiff:
    """One person's change: `kind` is added, updated, reactivated or deactivated; fields map to (before, after)."""

    slack_user_id: str
    kind: str
    fields: tuple[tuple[str, Any, Any], ...] = ()


@dataclass(frozen=True)
class RosterSummary:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    deactivated: int = 0
    diffs: tuple[MemberDiff, ...] = field(default=(), compare=False)


def asked_in_checkins() -> ColumnElement[bool]:
    """SQL: the roster members a check-in round asks (see the module docstring)."""
    return and_(
        RosterMember.active.is_(True),
        RosterMember.is_manager.is_(False),
        RosterMember.is_observer.is_(False),
        RosterMember.role.in_(ASKED_ROLES),
    )


def is_asked(member: RosterMember) -> bool:
    """The same rule as `asked_in_checkins`, for a member in hand."""
    return member.active and not member.is_manager and not member.is_observer and member.role in ASKED_ROLES


def _wanted(member: RosterMember | None, change: RosterChange) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name in CHANGE_FIELDS:
        value = getattr(change, name)
        if value is not None:
            values[name] = (value or None) if name == "timezone" else value
    if member is None:
        values.setdefault("name", change.slack_user_id)
        values.setdefault("role", "")
        values.setdefault("is_manager", False)
        values.setdefault("is_observer", False)
        values.setdefault("timezone", None)
    return values


def apply_changes(
    session: Session,
    workspace_id: int,
    changes: Iterable[RosterEntry | RosterChange],
    now: datetime | None = None,
    *,
    replace: bool = False,
    deactivate: Iterable[str] = (),
    replace_link: int | None = None,
) -> RosterSummary:
    """Add or update each person (merging: fields not given stay as they are) and reactivate them.

    `replace` deactivates every active member missing from `changes` (a full roster file); `replace_link`
    deactivates only the members a linked group or channel brought in who are missing (its sync); `deactivate`
    names people to take off. Inactive members are kept (their answers still count); listing them again
    reactivates them. A person who is no longer asked is withdrawn from open rounds they had not answered.
    """
    listed = [RosterChange.of(c) for c in changes]
    seen: set[str] = set()
    for change in listed:
        if change.slack_user_id in seen:
            raise ValueError(f"slack_user_id {change.slack_user_id} appears twice in the roster")
        seen.add(change.slack_user_id)

    now = now or utcnow()
    existing = {m.slack_user_id: m for m in session.scalars(_members(workspace_id))}
    diffs: list[MemberDiff] = []
    unchanged = 0
    for change in listed:
        member = existing.get(change.slack_user_id)
        wanted = _wanted(member, change)
        if member is None:
            member = RosterMember(
                workspace_id=workspace_id, slack_user_id=change.slack_user_id, active=True, link_id=change.link_id
            )
            for name, value in wanted.items():
                setattr(member, name, value)
            member.created_at = member.updated_at = now
            session.add(member)
            existing[change.slack_user_id] = member
            diffs.append(MemberDiff(change.slack_user_id, "added", tuple((n, None, v) for n, v in wanted.items())))
            continue
        moved = tuple((n, getattr(member, n), v) for n, v in wanted.items() if getattr(member, n) != v)
        revived = not member.active
        if not moved and not revived:
            unchanged += 1
            continue
        for name, _before, value in moved:
            setattr(member, name, value)
        member.active = True
        if change.link_id is not None and member.link_id is None:
            member.link_id = change.link_id
        member.updated_at = now
        diffs.append(MemberDiff(change.slack_user_id, "reactivated" if revived else "updated", moved))

    deactivate = set(deactivate)
    leaving = set(deactivate)
    if replace:
        leaving |= {user_id for user_id in existing if user_id not in seen}
    if replace_link is not None:
        leaving |= {u for u, m in existing.items() if m.link_id == replace_link and u not in seen}
    for user_id in sorted(leaving):
        member = existing.get(user_id)
        if member is not None and user_id in deactivate:
            member.link_id = None  # taken off by hand: a linked group's sync doesn't bring them back
        if member is not None and member.active:
            member.active = False
            member.updated_at = now
            diffs.append(MemberDiff(user_id, "deactivated"))
    session.flush()
    withdraw_unasked(session, workspace_id)
    return RosterSummary(
        added=sum(d.kind == "added" for d in diffs),
        updated=sum(d.kind in ("updated", "reactivated") for d in diffs),
        unchanged=unchanged,
        deactivated=sum(d.kind == "deactivated" for d in diffs),
        diffs=tuple(diffs),
    )


def import_roster(
    session: Session,
    workspace_id: int,
    entries: Sequence[RosterEntry | RosterChange],
    now: datetime | None = None,
    *,
    replace: bool = False,
) -> RosterSummary:
    """A roster file: merge it into the roster; with `replace`, members missing from it become inactive."""
    return apply_changes(session, workspace_id, entries, now, replace=replace)


def withdraw_unasked(session: Session, workspace_id: int, round_id: int | None = None) -> int:
    """Take people who are not asked (managers, observers, marketing, no role) off open rounds they haven't
    answered or skipped, so they are neither reminded nor counted as silent. Returns how many were taken off."""
    open_rounds = select(CheckinRound.id).where(
        CheckinRound.workspace_id == workspace_id, CheckinRound.status == "open"
    )
    if round_id is not None:
        open_rounds = open_rounds.where(CheckinRound.id == round_id)
    unasked = select(RosterMember.slack_user_id).where(
        RosterMember.workspace_id == workspace_id, RosterMember.active.is_(True), not_(asked_in_checkins())
    )
    result = session.execute(
        delete(Participation)
        .where(
            Participation.round_id.in_(open_rounds),
            Participation.slack_user_id.in_(unasked),
            Participation.answered_at.is_(None),
            Participation.skipped_at.is_(None),
        )
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def _members(workspace_id: int) -> Any:
    return select(RosterMember).where(RosterMember.workspace_id == workspace_id)


def list_roster(session: Session, workspace_id: int, include_inactive: bool = False) -> list[RosterMember]:
    """Roster members ordered by name; active ones only unless asked."""
    query = _members(workspace_id)
    if not include_inactive:
        query = query.where(RosterMember.active.is_(True))
    return list(session.scalars(query.order_by(RosterMember.name, RosterMember.slack_user_id)))


def get_member(session: Session, workspace_id: int, slack_user_id: str) -> RosterMember | None:
    """A roster member, active or not."""
    query = select(RosterMember).where(
        RosterMember.workspace_id == workspace_id, RosterMember.slack_user_id == slack_user_id
    )
    return session.scalar(query)


def is_manager(session: Session, workspace_id: int, user_id: str) -> bool:
    """True for an active roster member marked as a manager."""
    member = get_member(session, workspace_id, user_id)
    return member is not None and member.active and member.is_manager


PROFILES_PER_QUERY = 500  # members read per query when recording profiles (well inside every driver's limits)


def record_slack_profiles(
    session: Session,
    workspace_id: int,
    profiles: Iterable[ProfileFacts],
    *,
    now: datetime | None = None,
    names: bool = True,
) -> None:
    """Remember what Slack's profiles say, for the members already on the roster (anyone else is left alone):
    deactivated or not (for the admin's Home), its time zone for a member who has none, and (with `names`) its
    name for a member known only by their user id. The members are read in one query per `PROFILES_PER_QUERY`."""
    facts = list(profiles)
    now = now or utcnow()
    for start in range(0, len(facts), PROFILES_PER_QUERY):
        chunk = facts[start : start + PROFILES_PER_QUERY]
        query = _members(workspace_id).where(RosterMember.slack_user_id.in_({f.slack_user_id for f in chunk}))
        members = {m.slack_user_id: m for m in session.scalars(query)}
        for profile in chunk:
            member = members.get(profile.slack_user_id)
            if member is not None:
                _record_profile(member, profile, now, names=names)


def _record_profile(member: RosterMember, profile: ProfileFacts, now: datetime, *, names: bool) -> None:
    member.slack_checked_at = now
    if profile.deleted and member.slack_deactivated_at is None:
        member.slack_deactivated_at = now
    elif not profile.deleted:
        member.slack_deactivated_at = None
    if profile.timezone and not member.timezone:
        member.timezone = profile.timezone
    if names and profile.name and member.name == member.slack_user_id:
        member.name = profile.name[:255]


def profiles_to_check(session: Session, workspace_id: int, limit: int) -> list[str]:
    """Active members whose Slack profile was read longest ago (never first), at most `limit`."""
    query = (
        select(RosterMember.slack_user_id)
        .where(RosterMember.workspace_id == workspace_id, RosterMember.active.is_(True))
        .order_by(RosterMember.slack_checked_at.is_not(None), RosterMember.slack_checked_at, RosterMember.id)
        .limit(limit)
    )
    return list(session.scalars(query))


# --- linked user groups and channels --------------------------------------------------------------------------


def add_link(session: Session, workspace_id: int, kind: str, slack_id: str, role: str, created_by: str) -> RosterLink:
    """Link a user group or channel to a role (linking it again changes the role)."""
    link = session.scalar(
        select(RosterLink).where(
            RosterLink.workspace_id == workspace_id, RosterLink.kind == kind, RosterLink.slack_id == slack_id
        )
    )
    if link is None:
        link = RosterLink(workspace_id=workspace_id, kind=kind, slack_id=slack_id, created_by=created_by)
        session.add(link)
    link.role = role
    session.flush()
    return link


def list_links(session: Session, workspace_id: int) -> list[RosterLink]:
    query = select(RosterLink).where(RosterLink.workspace_id == workspace_id).order_by(RosterLink.id)
    return list(session.scalars(query))


def get_link(session: Session, workspace_id: int, link_id: int) -> RosterLink | None:
    return session.scalar(select(RosterLink).where(RosterLink.workspace_id == workspace_id, RosterLink.id == link_id))


def remove_link(session: Session, workspace_id: int, link_id: int) -> bool:
    """Unlink; the people it brought in stay on the roster (now kept by hand)."""
    link = get_link(session, workspace_id, link_id)
    if link is None:
        return False
    session.delete(link)
    session.flush()
    return True


# --- what an admin should know --------------------------------------------------------------------------------


@dataclass(frozen=True)
class RosterHealth:
    """Counts and problems for the admin's Home."""

    active: int
    asked: int
    managers: int
    observers: int
    inactive: int
    links: int
    deactivated_in_slack: tuple[str, ...]
    no_timezone: tuple[str, ...]
    no_role: tuple[str, ...]
    link_errors: tuple[tuple[str, str], ...]  # (group or channel id, error)


def roster_health(session: Session, workspace_id: int) -> RosterHealth:
    members = list_roster(session, workspace_id, include_inactive=True)
    active = [m for m in members if m.active]
    links = list_links(session, workspace_id)
    return RosterHealth(
        active=len(active),
        asked=sum(1 for m in active if is_asked(m)),
        managers=sum(1 for m in active if m.is_manager),
        observers=sum(1 for m in active if m.is_observer),
        inactive=len(members) - len(active),
        links=len(links),
        deactivated_in_slack=tuple(m.slack_user_id for m in active if m.slack_deactivated_at is not None),
        no_timezone=tuple(m.slack_user_id for m in active if not m.timezone),
        no_role=tuple(m.slack_user_id for m in active if not m.role),
        link_errors=tuple((link.slack_id, link.last_error) for link in links if link.last_error),
    )
