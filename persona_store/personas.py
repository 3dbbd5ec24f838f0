"""Personas and their revisions: queries and rules taking a Session (the caller owns the transaction)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from rapidfuzz import fuzz, utils
from sqlalchemy import Connection, bindparam, func, select
from sqlalchemy.orm import Session

from persona_store.files import fold_name
from persona_store.models import (
    Feedback,
    Persona,
    PersonaReview,
    PersonaRevision,
    PersonaStatus,
    Workspace,
    WorkspaceSettingsRow,
    utcnow,
)
from persona_store.persona_spec import LIST_FIELDS, PERSONA_FIELDS, PersonaSpec

__all__ = [
    "REVIEW_OUTCOMES",
    "ApplyResult",
    "FieldChange",
    "ImportSummary",
    "PersonaConflict",
    "PersonaNotFound",
    "Reworded",
    "apply_persona",
    "describe_changes",
    "export_personas",
    "get_persona",
    "get_persona_by_key",
    "import_personas",
    "list_personas",
    "persona_spec",
    "record_review",
    "revisions",
    "set_status",
]

# What an owner's periodic review concluded.
REVIEW_OUTCOMES = ("accurate", "edited", "retired")
# Two list items this similar (rapidfuzz ratio, 0-100) are shown as one item reworded, not one removed + one added.
REWORD_THRESHOLD = 60
_LIST_VALUED = frozenset((*LIST_FIELDS, "team_roles"))


class PersonaConflict(ValueError):
    """Applying a persona would give two personas the same name; the message is one line for a person."""


class PersonaNotFound(LookupError):
    """No persona with that id or key in this workspace."""


@dataclass(frozen=True)
class ApplyResult:
    persona: Persona
    created: bool
    changed_fields: tuple[str, ...]
    revision: PersonaRevision | None = None

    @property
    def unchanged(self) -> bool:
        return not self.created and not self.changed_fields


@dataclass(frozen=True)
class ImportSummary:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


@dataclass(frozen=True)
class Reworded:
    before: str
    after: str


@dataclass(frozen=True)
class FieldChange:
    """One field's change, ready for history display.

    Text fields fill `before`/`after`; list fields fill `added`, `removed`, `reworded` (and `reordered` when
    only the order changed).
    """

    field: str
    kind: Literal["text", "list"]
    before: str | None = None
    after: str | None = None
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    reworded: tuple[Reworded, ...] = ()
    reordered: bool = False


# --- reading -------------------------------------------------------------------------------------------------


def list_personas(session: Session, workspace_id: int, include_retired: bool = False) -> list[Persona]:
    """The workspace's personas ordered by name (case-insensitively); active ones only unless asked."""
    query = select(Persona).where(Persona.workspace_id == workspace_id)
    if not include_retired:
        query = query.where(Persona.status == PersonaStatus.ACTIVE.value)
    return list(session.scalars(query.order_by(Persona.name_folded, Persona.id)))


# Built once: this runs on every lookup, and constructing a statement costs more than executing this one.
_VERSION_QUERY = select(
    func.count(),
    func.coalesce(func.sum(Persona.revision_number), 0),
    func.max(Persona.revised_at),
    # Any answer saved, edited or deleted changes the cards' figures: the count and the latest save say so.
    select(func.count(Feedback.id)).where(Feedback.workspace_id == bindparam("workspace_id")).scalar_subquery(),
    select(func.max(Feedback.updated_at)).where(Feedback.workspace_id == bindparam("workspace_id")).scalar_subquery(),
    # The workspace's `/persona settings` (the evidence rules, whether the card shows outcomes) and its latest
    # outcome import: one row each, read by its key.
    select(WorkspaceSettingsRow.updated_at)
    .where(WorkspaceSettingsRow.workspace_id == bindparam("workspace_id"))
    .scalar_subquery(),
    select(Workspace.outcomes_changed_at).where(Workspace.id == bindparam("workspace_id")).scalar_subquery(),
).where(Persona.workspace_id == bindparam("workspace_id"))

CatalogueVersion = tuple[int, int, str, str, str]


def catalogue_version(connection: Connection | Session, workspace_id: int) -> CatalogueVersion:
    """Changes whenever anything a card shows may have changed: a persona of the workspace added or revised (every
    change makes a revision), any answer about one saved, edited or deleted, the workspace's settings saved, or
    its outcome data imported.

    Cheap enough to ask on every lookup, so a cache of the catalogue can be checked instead of reloaded.
    """
    conn = connection.connection() if isinstance(connection, Session) else connection
    row = conn.execute(_VERSION_QUERY, {"workspace_id": workspace_id}).one()
    count, revisions_total, latest, answers, saved, settings_saved, outcomes_changed = row
    return int(count), int(revisions_total), str(latest), f"{answers}:{saved}", f"{settings_saved}:{outcomes_changed}"


def get_persona(session: Session, workspace_id: int, persona_id: int) -> Persona | None:
    """This workspace's persona by id, or None; one already read in this session costs no query."""
    persona = session.get(Persona, persona_id)
    return persona if persona is not None and persona.workspace_id == workspace_id else None


def get_persona_by_key(session: Session, workspace_id: int, key: str) -> Persona | None:
    return session.scalar(select(Persona).where(Persona.workspace_id == workspace_id, Persona.key == key))


def revisions(session: Session, workspace_id: int, persona_id: int) -> list[PersonaRevision]:
    """A persona's revisions, newest first (empty for a persona of another workspace)."""
    query = (
        select(PersonaRevision)
        .join(Persona, Persona.id == PersonaRevision.persona_id)
        .where(Persona.workspace_id == workspace_id, PersonaRevision.persona_id == persona_id)
        .order_by(PersonaRevision.number.desc())
    )
    return list(session.scalars(query))


def persona_spec(persona: Persona) -> PersonaSpec:
    """The spec a stored persona corresponds to (what an export writes, what an edit form starts from)."""
    return PersonaSpec(
        name=persona.name,
        key=persona.key,
        role=persona.role or "",
        summary=persona.summary or "",
        goals=tuple(persona.goals or ()),
        pain_points=tuple(persona.pain_points or ()),
        motivations=tuple(persona.motivations or ()),
        objections=tuple(persona.objections or ()),
        channels=tuple(persona.channels or ()),
        evidence=tuple(persona.evidence or ()),
        owner=persona.owner or None,
        status=persona.status,
        team_roles=tuple(persona.team_roles or ()),
    )


def export_personas(session: Session, workspace_id: int, include_retired: bool = True) -> list[PersonaSpec]:
    return [persona_spec(p) for p in list_personas(session, workspace_id, include_retired=include_retired)]


# --- writing -------------------------------------------------------------------------------------------------


def apply_persona(
    session: Session,
    workspace_id: int,
    spec: PersonaSpec,
    *,
    author: str,
    note: str = "",
    now: datetime | None = None,
) -> ApplyResult:
    """Create the persona with `spec.key`, or update it; a real change is recorded as one new revision."""
    now = now or utcnow()
    folded = fold_name(spec.name)
    clash = session.scalar(
        select(Persona).where(
            Persona.workspace_id == workspace_id, Persona.name_folded == folded, Persona.key != spec.key
        )
    )
    if clash is not None:
        raise PersonaConflict(_clash_message(spec, clash))

    new = spec.as_dict()
    persona = get_persona_by_key(session, workspace_id, spec.key)
    if persona is None:
        persona = Persona(workspace_id=workspace_id, key=spec.key, created_at=now, reviewed_at=now)
        changes = {name: {"before": None, "after": value} for name, value in new.items() if value not in (None, "", [])}
        created = True
    else:
        old = persona_spec(persona).as_dict()
        changes = {name: {"before": old[name], "after": new[name]} for name in PERSONA_FIELDS if old[name] != new[name]}
        if not changes:
            return ApplyResult(persona=persona, created=False, changed_fields=())
        created = False

    _write_columns(persona, spec)
    persona.revision_number = (persona.revision_number or 0) + 1
    persona.revised_at = now
    if created:
        session.add(persona)
    revision = PersonaRevision(
        persona=persona,
        number=persona.revision_number,
        author=author[:64],
        note=note,
        created_at=now,
        snapshot=new,
        changes=changes,
    )
    session.add(revision)
    session.flush()
    return ApplyResult(persona=persona, created=created, changed_fields=tuple(changes), revision=revision)


def _write_columns(persona: Persona, spec: PersonaSpec) -> None:
    persona.name = spec.name
    persona.name_folded = fold_name(spec.name)
    persona.role = spec.role
    persona.summary = spec.summary
    for name in (*LIST_FIELDS, "team_roles"):
        setattr(persona, name, list(getattr(spec, name)))
    persona.owner = spec.owner
    persona.status = spec.status


def _clash_message(spec: PersonaSpec, other: Persona) -> str:
    return (
        f"'{spec.name}' (key {spec.key}) has the same name as the existing persona '{other.name}' "
        f"(key {other.key}); use key {other.key} to update that one, or choose another name"
    )


def set_status(
    session: Session,
    workspace_id: int,
    persona_id: int,
    status: str,
    *,
    author: str,
    note: str = "",
    now: datetime | None = None,
) -> ApplyResult:
    """Retire or reactivate a persona (a revision like any other change)."""
    if status not in {s.value for s in PersonaStatus}:
        raise ValueError(f"status must be one of {', '.join(s.value for s in PersonaStatus)}, not {status!r}")
    persona = get_persona(session, workspace_id, persona_id)
    if persona is None:
        raise PersonaNotFound(f"no persona {persona_id} in this workspace")
    spec = dataclasses.replace(persona_spec(persona), status=status)
    return apply_persona(session, workspace_id, spec, author=author, note=note, now=now)


def import_personas(
    session: Session,
    workspace_id: int,
    specs: Sequence[PersonaSpec],
    *,
    author: str = "import",
    now: datetime | None = None,
) -> ImportSummary:
    """Apply every spec, or raise PersonaConflict before writing anything."""
    now = now or utcnow()
    _check_import(session, workspace_id, specs)

    incoming = {spec.key: fold_name(spec.name) for spec in specs}
    renamed = [
        p
        for p in session.scalars(select(Persona).where(Persona.workspace_id == workspace_id, Persona.key.in_(incoming)))
        if p.name_folded != incoming[p.key]
    ]
    # Names may move between personas in one file (a swap); park the renamed ones on a value no real name can
    # have (folded names never contain a tab) so the unique constraint holds at every flush.
    for persona in renamed:
        persona.name_folded = f"\t{persona.key}"
    if renamed:
        session.flush()

    created = updated = unchanged = 0
    for spec in specs:
        result = apply_persona(session, workspace_id, spec, author=author, now=now)
        if result.created:
            created += 1
        elif result.changed_fields:
            updated += 1
        else:
            unchanged += 1
    return ImportSummary(created=created, updated=updated, unchanged=unchanged)


def _check_import(session: Session, workspace_id: int, specs: Sequence[PersonaSpec]) -> None:
    seen_keys: dict[str, PersonaSpec] = {}
    seen_names: dict[str, PersonaSpec] = {}
    for spec in specs:
        folded = fold_name(spec.name)
        if spec.key in seen_keys:
            raise PersonaConflict(f"key {spec.key} appears twice ('{seen_keys[spec.key].name}' and '{spec.name}')")
        if folded in seen_names:
            raise PersonaConflict(f"the name '{spec.name}' appears twice (keys {seen_names[folded].key}, {spec.key})")
        seen_keys[spec.key] = spec
        seen_names[folded] = spec
    for persona in session.scalars(select(Persona).where(Persona.workspace_id == workspace_id)):
        if persona.key in seen_keys:
            continue  # its name will be whatever the file says
        other = seen_names.get(persona.name_folded)
        if other is not None:
            raise PersonaConflict(_clash_message(other, persona))


def record_review(
    session: Session,
    workspace_id: int,
    persona_id: int,
    reviewer: str,
    outcome: str,
    now: datetime | None = None,
) -> PersonaReview:
    """Record an owner's review of a persona and restart its review clock."""
    if outcome not in REVIEW_OUTCOMES:
        raise ValueError(f"review outcome must be one of {', '.join(REVIEW_OUTCOMES)}, not {outcome!r}")
    persona = get_persona(session, workspace_id, persona_id)
    if persona is None:
        raise PersonaNotFound(f"no persona {persona_id} in this workspace")
    now = now or utcnow()
    review = PersonaReview(persona_id=persona.id, reviewer=reviewer, outcome=outcome, created_at=now)
    session.add(review)
    persona.reviewed_at = now
    session.flush()
    return review


# --- history -------------------------------------------------------------------------------------------------


def describe_changes(changes: Mapping[str, Any]) -> dict[str, FieldChange]:
    """A revision's `changes` as per-field differences, in the file's field order."""
    order = {name: i for i, name in enumerate(PERSONA_FIELDS)}
    out: dict[str, FieldChange] = {}
    for name in sorted(changes, key=lambda n: (order.get(n, len(order)), n)):
        change = changes[name] or {}
        before, after = change.get("before"), change.get("after")
        if name in _LIST_VALUED or isinstance(before, list) or isinstance(after, list):
            out[name] = _list_change(name, _as_list(before), _as_list(after))
        else:
            out[name] = FieldChange(
                field=name,
                kind="text",
                before=None if before is None else str(before),
                after=None if after is None else str(after),
            )
    return out


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    return [str(value)]


def _list_change(name: str, before: list[str], after: list[str]) -> FieldChange:
    removed = _minus(before, after)
    added = _minus(after, before)
    pairs: list[tuple[float, int, int]] = []
    for i, old in enumerate(removed):
        for j, new in enumerate(added):
            score = fuzz.ratio(old, new, processor=utils.default_process)
            if score >= REWORD_THRESHOLD:
                pairs.append((score, i, j))
    reworded: list[tuple[int, Reworded]] = []
    used_old: set[int] = set()
    used_new: set[int] = set()
    # Most similar pairs first, so each item pairs with its closest counterpart.
    for _score, i, j in sorted(pairs, key=lambda p: (-p[0], p[1], p[2])):
        if i in used_old or j in used_new:
            continue
        used_old.add(i)
        used_new.add(j)
        reworded.append((j, Reworded(before=removed[i], after=added[j])))
    return FieldChange(
        field=name,
        kind="list",
        added=tuple(item for j, item in enumerate(added) if j not in used_new),
        removed=tuple(item for i, item in enumerate(removed) if i not in used_old),
        reworded=tuple(r for _j, r in sorted(reworded, key=lambda x: x[0])),
        reordered=not removed and not added and before != after,
    )


def _minus(items: Iterable[str], other: Iterable[str]) -> list[str]:
    """Items of `items` not in `other`, counting repeats (a multiset difference that keeps order)."""
    remaining: dict[str, int] = {}
    for item in other:
        remaining[item] = remaining.get(item, 0) + 1
    out: list[str] = []
    for item in items:
        if remaining.get(item, 0) > 0:
            remaining[item] -= 1
        else:
            out.append(item)
    return out
