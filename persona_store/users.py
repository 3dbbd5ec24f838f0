"""Data rights for one person in one workspace: export every record about them; delete or anonymise them.

Deleting keeps the numbers true. Ratings, attribute verdicts, roles and answered/skipped states stay, under a
stable pseudonym (`deleted-<hash>`, the same for all of one person's rows), so means, distinct-respondent counts,
response rates and verdicts are exactly what they were. What identifies the person goes: the roster row, their
Slack user id everywhere it is stored (feedback, participations, revisions, reviews, ledger keys, the installer
field), DM channel ids, persona ownership, and our verbatim copy of a quoted Slack message. Evidence stays
attributable to its source: `evidence_ref` (a CRM or ticket reference) and the message permalink point at the
customer evidence, not at us, and Slack's own retention governs that message. With `erase_text` the free-text
observations are blanked too (the report's comment counts then drop; ratings still stay).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TypeVar

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session, selectinload

from persona_store.models import (
    CheckinRound,
    Effect,
    Feedback,
    Participation,
    Persona,
    PersonaReview,
    PersonaRevision,
    RosterMember,
    Workspace,
    slack_installations,
)

PSEUDONYM_PREFIX = "deleted-"


class UserNotFound(LookupError):
    """Nothing about this person is on record in the workspace."""


def pseudonym(workspace_id: int, user_id: str) -> str:
    """Stable per workspace and person, so one person's rows stay grouped (distinct counts don't change)."""
    digest = hashlib.sha256(f"persona-bot:{workspace_id}:{user_id}".encode()).hexdigest()[:12]
    return f"{PSEUDONYM_PREFIX}{digest}"


def _token(user_id: str) -> re.Pattern[str]:
    # A Slack id inside a key ("checkin:12:U0ABC:invite"): never match U0ABC inside U0ABCD.
    return re.compile(rf"(?<![A-Za-z0-9]){re.escape(user_id)}(?![A-Za-z0-9])")


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _row(obj: Any, *names: str) -> dict[str, Any]:
    return {name: _plain(getattr(obj, name)) for name in names}


def _feedback(session: Session, workspace_id: int, user_id: str) -> list[Feedback]:
    query = (
        select(Feedback)
        .where(Feedback.workspace_id == workspace_id, Feedback.author_id == user_id)
        .options(selectinload(Feedback.attribute_checks))
        .order_by(Feedback.created_at, Feedback.id)
    )
    return list(session.scalars(query))


def _participations(session: Session, workspace_id: int, user_id: str) -> list[tuple[Participation, str]]:
    query = (
        select(Participation, CheckinRound.quarter)
        .join(CheckinRound, CheckinRound.id == Participation.round_id)
        .where(CheckinRound.workspace_id == workspace_id, Participation.slack_user_id == user_id)
        .order_by(CheckinRound.quarter)
    )
    return [(p, quarter) for p, quarter in session.execute(query)]


_Made = TypeVar("_Made", PersonaRevision, PersonaReview)


def _made_by(session: Session, workspace_id: int, model: type[_Made], who: Any) -> list[tuple[_Made, str]]:
    """The person's `model` rows (`who` names the person) in the workspace, oldest first, with the persona key."""
    query = (
        select(model, Persona.key)
        .join(Persona, Persona.id == model.persona_id)
        .where(Persona.workspace_id == workspace_id, who)
        .order_by(model.created_at, model.id)
    )
    return [(r, key) for r, key in session.execute(query)]


def _revisions(session: Session, workspace_id: int, user_id: str) -> list[tuple[PersonaRevision, str]]:
    return _made_by(session, workspace_id, PersonaRevision, PersonaRevision.author == user_id)


def _reviews(session: Session, workspace_id: int, user_id: str) -> list[tuple[PersonaReview, str]]:
    return _made_by(session, workspace_id, PersonaReview, PersonaReview.reviewer == user_id)


def _owned(session: Session, workspace_id: int, user_id: str) -> list[Persona]:
    query = select(Persona).where(Persona.workspace_id == workspace_id, Persona.owner == user_id).order_by(Persona.key)
    return list(session.scalars(query))


def _effects(session: Session, workspace_id: int, user_id: str) -> list[Effect]:
    candidates = session.scalars(
        select(Effect).where(Effect.workspace_id == workspace_id, Effect.key.contains(user_id)).order_by(Effect.id)
    )
    token = _token(user_id)
    return [e for e in candidates if token.search(e.key)]


def _installations(session: Session, team_id: str, user_id: str) -> list[dict[str, Any]]:
    c = slack_installations.c
    query = (
        select(c.id, c.app_id, c.team_id, c.team_name, c.bot_scopes, c.installed_at)
        .where(c.team_id == team_id, c.user_id == user_id)
        .order_by(c.installed_at)
    )
    return [{k: _plain(v) for k, v in row._mapping.items() if k != "id"} for row in session.execute(query)]


def export_user(session: Session, workspace_id: int, user_id: str) -> dict[str, Any]:
    """Every record about `user_id` in the workspace, as JSON-ready data. Raises UserNotFound when there is none."""
    workspace = session.get(Workspace, workspace_id)
    if workspace is None:
        raise UserNotFound(f"no workspace {workspace_id}")
    member = session.scalar(
        select(RosterMember).where(RosterMember.workspace_id == workspace_id, RosterMember.slack_user_id == user_id)
    )
    rows = session.execute(select(Persona.id, Persona.key).where(Persona.workspace_id == workspace_id))
    persona_keys = {persona_id: key for persona_id, key in rows}
    data: dict[str, Any] = {
        "slack_user_id": user_id,
        "team_id": workspace.team_id,
        "roster": None
        if member is None
        else _row(member, "name", "role", "is_manager", "timezone", "active", "created_at", "updated_at"),
        "feedback": [
            {
                "persona": persona_keys.get(f.persona_id),
                **_row(
                    f,
                    "id",
                    "revision_number",
                    "source",
                    "author_role",
                    "fit",
                    "not_met",
                    "missing_text",
                    "objections_text",
                    "evidence_ref",
                    "evidence_message",
                    "evidence_permalink",
                    "journey_stage",
                    "created_at",
                    "updated_at",
                ),
                "attribute_checks": [_row(a, "position", "kind", "text", "verdict") for a in f.attribute_checks],
            }
            for f in _feedback(session, workspace_id, user_id)
        ],
        "checkins": [
            {
                "quarter": quarter,
                **_row(
                    p,
                    "role",
                    "timezone",
                    "assigned_at",
                    "sent_at",
                    "answered_at",
                    "skipped_at",
                    "skip_reason",
                    "reminder_count",
                    "last_reminded_at",
                    "snoozed_until",
                    "unreachable_at",
                    "unreachable_reason",
                ),
            }
            for p, quarter in _participations(session, workspace_id, user_id)
        ],
        "personas_owned": [
            _row(p, "key", "name", "status", "reviewed_at") for p in _owned(session, workspace_id, user_id)
        ],
        "revisions_authored": [
            {"persona": key, **_row(r, "number", "note", "created_at", "changes")}
            for r, key in _revisions(session, workspace_id, user_id)
        ],
        "reviews": [
            {"persona": key, **_row(r, "outcome", "created_at")} for r, key in _reviews(session, workspace_id, user_id)
        ],
        "messages_sent_to_them": [
            _row(e, "key", "status", "created_at", "completed_at") for e in _effects(session, workspace_id, user_id)
        ],
        "installations": _installations(session, workspace.team_id, user_id),
    }
    if not any(data[k] for k in data if k not in ("slack_user_id", "team_id")):
        raise UserNotFound(f"nothing about {user_id} is on record in workspace {workspace.team_id}")
    return data


@dataclass(frozen=True)
class DeleteSummary:
    pseudonym: str
    roster_rows: int
    feedback: int
    participations: int
    revisions: int
    reviews: int
    personas_unowned: int
    ledger_entries: int
    installations: int
    texts_erased: bool

    @property
    def total(self) -> int:
        return (
            self.roster_rows
            + self.feedback
            + self.participations
            + self.revisions
            + self.reviews
            + self.personas_unowned
            + self.ledger_entries
            + self.installations
        )


def _replace_in(value: Any, user_id: str, alias: str) -> Any:
    """The same JSON with every string equal to `user_id` replaced (revision snapshots record the owner)."""
    if isinstance(value, str):
        return alias if value == user_id else value
    if isinstance(value, list):
        return [_replace_in(v, user_id, alias) for v in value]
    if isinstance(value, dict):
        return {k: _replace_in(v, user_id, alias) for k, v in value.items()}
    return value


def delete_user(session: Session, workspace_id: int, user_id: str, *, erase_text: bool = False) -> DeleteSummary:
    """Remove the person from the workspace's records, keeping every aggregate as it was (see the module doc)."""
    workspace = session.get(Workspace, workspace_id)
    if workspace is None:
        raise UserNotFound(f"no workspace {workspace_id}")
    if user_id.startswith(PSEUDONYM_PREFIX):
        raise UserNotFound(f"{user_id} is already anonymised")
    alias = pseudonym(workspace_id, user_id)
    token = _token(user_id)

    roster = session.execute(
        delete(RosterMember).where(RosterMember.workspace_id == workspace_id, RosterMember.slack_user_id == user_id)
    )
    feedback = _feedback(session, workspace_id, user_id)
    for f in feedback:
        f.author_id = alias
        f.submission_key = token.sub(alias, f.submission_key)
        f.evidence_message = ""
        if erase_text:
            f.missing_text = f.objections_text = ""
    participations = _participations(session, workspace_id, user_id)
    for p, _ in participations:
        p.slack_user_id = alias
        p.dm_channel = p.dm_ts = None
    revisions = _revisions(session, workspace_id, user_id)
    for r, _ in revisions:
        r.author = alias
    # Revision snapshots and changes carry the owner field: scrub every revision of the workspace that mentions them.
    mentioning = session.scalars(
        select(PersonaRevision)
        .join(Persona, Persona.id == PersonaRevision.persona_id)
        .where(Persona.workspace_id == workspace_id)
    )
    for r in mentioning:
        snapshot, changes = _replace_in(r.snapshot, user_id, alias), _replace_in(r.changes, user_id, alias)
        if snapshot != r.snapshot or changes != r.changes:
            r.snapshot, r.changes = snapshot, changes
    reviews = _reviews(session, workspace_id, user_id)
    for review, _ in reviews:
        review.reviewer = alias
    owned = _owned(session, workspace_id, user_id)
    for persona in owned:
        persona.owner = None
    effects = _effects(session, workspace_id, user_id)
    for e in effects:
        e.key = token.sub(alias, e.key)
        if e.detail:
            e.detail = token.sub(alias, e.detail)
    c = slack_installations.c
    installs = session.execute(
        update(slack_installations)
        .where(c.team_id == workspace.team_id, c.user_id == user_id)
        .values(user_id=alias)
        .execution_options(synchronize_session=False)
    )
    session.flush()
    summary = DeleteSummary(
        pseudonym=alias,
        roster_rows=int(getattr(roster, "rowcount", 0) or 0),
        feedback=len(feedback),
        participations=len(participations),
        revisions=len(revisions),
        reviews=len(reviews),
        personas_unowned=len(owned),
        ledger_entries=len(effects),
        installations=int(getattr(installs, "rowcount", 0) or 0),
        texts_erased=erase_text,
    )
    if summary.total == 0:
        raise UserNotFound(f"nothing about {user_id} is on record in workspace {workspace.team_id}")
    return summary
