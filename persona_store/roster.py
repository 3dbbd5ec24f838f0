"""The roster of reps who check personas: queries and the import rule, taking a Session (never committing)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from persona_store.files import RosterEntry
from persona_store.models import RosterMember, utcnow


@dataclass(frozen=True)
class RosterSummary:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    deactivated: int = 0


def import_roster(
    session: Session, workspace_id: int, entries: Sequence[RosterEntry], now: datetime | None = None
) -> RosterSummary:
    """Make the roster match the file: upsert by Slack user id; members missing from it become inactive.

    Inactive members are kept (their answers still count); a later file that lists them reactivates them.
    The file is the source of truth for every column, including an empty time zone.
    """
    seen: set[str] = set()
    for entry in entries:
        if entry.slack_user_id in seen:
            raise ValueError(f"slack_user_id {entry.slack_user_id} appears twice in the roster")
        seen.add(entry.slack_user_id)

    now = now or utcnow()
    members = session.scalars(select(RosterMember).where(RosterMember.workspace_id == workspace_id))
    existing = {m.slack_user_id: m for m in members}
    added = updated = unchanged = deactivated = 0
    for entry in entries:
        member = existing.get(entry.slack_user_id)
        wanted = {
            "name": entry.name,
            "role": entry.role,
            "is_manager": entry.is_manager,
            "timezone": entry.timezone,
            "active": True,
        }
        if member is None:
            member = RosterMember(workspace_id=workspace_id, slack_user_id=entry.slack_user_id, **wanted)
            member.created_at = member.updated_at = now
            session.add(member)
            added += 1
            continue
        if all(getattr(member, column) == value for column, value in wanted.items()):
            unchanged += 1
            continue
        for column, value in wanted.items():
            setattr(member, column, value)
        member.updated_at = now
        updated += 1
    for user_id, member in existing.items():
        if user_id not in seen and member.active:
            member.active = False
            member.updated_at = now
            deactivated += 1
    session.flush()
    return RosterSummary(added=added, updated=updated, unchanged=unchanged, deactivated=deactivated)


def list_roster(session: Session, workspace_id: int, include_inactive: bool = False) -> list[RosterMember]:
    """Roster members ordered by name; active ones only unless asked."""
    query = select(RosterMember).where(RosterMember.workspace_id == workspace_id)
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
