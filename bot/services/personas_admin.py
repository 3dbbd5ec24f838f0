"""Editing personas in Slack (`/persona new`, `/persona edit`, the edit modal) and `/persona history`.

Only a persona's owner or an admin may open the form and save it; saving re-checks that, because a submitted
view can be forged or outlive a change of owner.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.services.access import Service
from persona_store.evidence import persona_evidence
from persona_store.files import FileError, build_persona_spec, slugify
from persona_store.models import Persona, PersonaStatus, utcnow
from persona_store.persona_spec import PersonaSpec
from persona_store.personas import (
    FieldChange,
    PersonaConflict,
    apply_persona,
    describe_changes,
    get_persona,
    get_persona_by_key,
    list_personas,
    persona_spec,
    record_review,
    revisions,
)
from persona_store.quarters import Period, quarter_of
from persona_store.reviews import recorded_review_message
from persona_store.reviews import review_cycle as cycle_of
from persona_store.revision_drafts import (
    ACCEPTED,
    DecisionNote,
    RevisionDraft,
    decision_notes,
    find_draft,
    record_decision,
)
from persona_store.search import search_personas
from persona_store.workspaces import ensure_workspace

NOTE_MAX = 1000


@dataclass(frozen=True)
class ReviewMessage:
    """A review DM as the ledger recorded it when it was sent: the only message a review answer may update."""

    channel: str
    ts: str


STALE_FORM = "Someone saved this persona after you opened it. Close this and edit again."


class Outcome(StrEnum):
    FORM = "form"
    NOT_ALLOWED = "not_allowed"
    NO_MATCH = "no_match"
    PICK = "pick"
    NEED_NAME = "need_name"


@dataclass(frozen=True)
class PersonaRef:
    """A persona an admin command found (by key or name), with its status."""

    id: int
    name: str
    status: str


@dataclass(frozen=True)
class EditForm:
    """What the edit modal starts from. `persona_id` is None for a new persona."""

    spec: PersonaSpec
    persona_id: int | None = None
    revision_number: int = 0
    review_cycle: int | None = None  # opened from a review DM for this cycle: saving also records the review
    draft: RevisionDraft | None = None  # opened from a revision draft's Accept: the note cites its evidence

    @property
    def review(self) -> bool:
        return self.review_cycle is not None


@dataclass(frozen=True)
class EditOpen:
    outcome: Outcome
    query: str = ""
    form: EditForm | None = None
    candidates: tuple[PersonaRef, ...] = ()


@dataclass(frozen=True)
class EditSubmission:
    """The modal's values as typed (lists already split into lines), plus what the modal was opened for."""

    persona_id: int | None
    revision_number: int
    values: dict[str, Any]
    note: str
    review_cycle: int | None = None  # from sealed metadata; recorded only while the persona is still in it
    draft_key: str | None = None  # from sealed metadata: the revision draft this edit carries out (re-derived)


@dataclass(frozen=True)
class SaveResult:
    """`errors` maps a form field to a message (shown inline); otherwise the save happened (or nothing changed)."""

    errors: dict[str, str] = field(default_factory=dict)
    persona: PersonaRef | None = None
    revision_number: int | None = None
    created: bool = False
    review_outcome: str | None = None  # the save also answered the persona's review ("edited" or "retired")
    review_message: ReviewMessage | None = None  # that review's DM, as the ledger recorded it

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass(frozen=True)
class HistoryEntry:
    number: int
    author: str
    created_at: datetime
    note: str
    changes: tuple[FieldChange, ...]
    evidence: tuple[DecisionNote, ...] = ()  # the revision drafts (and their evidence) this revision carried out


@dataclass(frozen=True)
class HistoryAnswer:
    outcome: Outcome
    query: str
    persona: PersonaRef | None = None
    entries: tuple[HistoryEntry, ...] = ()
    candidates: tuple[PersonaRef, ...] = ()


def _ref(persona: Persona) -> PersonaRef:
    return PersonaRef(persona.id, persona.name, persona.status)


def may_edit(user_id: str, persona: Persona | None, *, admin: bool) -> bool:
    """Admins may create and edit anything; an owner may edit their own persona (`admin` from `Access`)."""
    if admin:
        return True
    return persona is not None and bool(persona.owner) and persona.owner == user_id


class PersonaAdminService(Service):
    # --- opening the form --------------------------------------------------------------------------------

    def open_new(self, team_id: str, user_id: str) -> EditOpen:
        if not self._access.is_admin(team_id, user_id):
            return EditOpen(Outcome.NOT_ALLOWED)
        return EditOpen(Outcome.FORM, form=EditForm(spec=PersonaSpec(name="", key="", owner=user_id)))

    def open_edit(self, team_id: str, user_id: str, query: str) -> EditOpen:
        """Find the persona by words (retired ones too, so they can be reactivated) and check who asks."""
        if not query.strip():
            return EditOpen(Outcome.NEED_NAME)
        admin = self._access.is_admin(team_id, user_id)  # before the transaction: it may ask Slack
        with self._sessions.begin() as s:
            workspace = ensure_workspace(s, team_id)
            result = search_personas(list_personas(s, workspace.id, include_retired=True), query)
            if result.best is None:
                refs = tuple(_ref(p) for p in (result.candidates or result.suggestions))
                return EditOpen(Outcome.PICK if result.candidates else Outcome.NO_MATCH, query, candidates=refs)
            return self._form(result.best, user_id, query, admin=admin)

    def open_edit_by_id(
        self, team_id: str, user_id: str, persona_id: int, *, review_cycle: int | None = None
    ) -> EditOpen:
        """The form for one persona; `review_cycle` (from a review DM) counts only while it is still current."""
        admin = self._access.is_admin(team_id, user_id)
        with self._sessions.begin() as s:
            workspace = ensure_workspace(s, team_id)
            persona = get_persona(s, workspace.id, persona_id)
            if persona is None:
                return EditOpen(Outcome.NO_MATCH)
            current = review_cycle if review_cycle is not None and review_cycle == cycle_of(persona) else None
            return self._form(persona, user_id, persona.name, admin=admin, review_cycle=current)

    def _form(
        self, persona: Persona, user_id: str, query: str, *, admin: bool, review_cycle: int | None = None
    ) -> EditOpen:
        if not may_edit(user_id, persona, admin=admin):
            return EditOpen(Outcome.NOT_ALLOWED, query, candidates=(_ref(persona),))
        form = EditForm(persona_spec(persona), persona.id, persona.revision_number, review_cycle=review_cycle)
        return EditOpen(Outcome.FORM, query, form=form)

    # --- saving ------------------------------------------------------------------------------------------

    def save(self, team_id: str, user_id: str, submission: EditSubmission, now: datetime | None = None) -> SaveResult:
        """Validate and apply a submitted form as one revision; problems come back per field, nothing saved."""
        now = now or utcnow()
        note = " ".join(submission.note.split())
        errors: dict[str, str] = {}
        if not note:
            errors["note"] = "Say in a few words what changed and why."
        elif len(note) > NOTE_MAX:
            errors["note"] = f"Keep the note under {NOTE_MAX} characters (it has {len(note)})."
        admin = self._access.is_admin(team_id, user_id)  # re-checked on every save, before the transaction
        try:
            with self._sessions.begin() as s:
                return self._save(s, team_id, user_id, submission, note, errors, now, admin)
        except IntegrityError:
            # Two saves at the same moment (PostgreSQL lets both read the same revision): the loser changes nothing.
            return SaveResult(errors={"note": STALE_FORM})

    def _save(
        self,
        s: Session,
        team_id: str,
        user_id: str,
        submission: EditSubmission,
        note: str,
        errors: dict[str, str],
        now: datetime,
        admin: bool,
    ) -> SaveResult:
        workspace = ensure_workspace(s, team_id)
        persona = None
        if submission.persona_id is not None:
            persona = get_persona(s, workspace.id, submission.persona_id)
            if persona is None:
                return SaveResult(errors={"name": "This persona no longer exists."})
        if not may_edit(user_id, persona, admin=admin):
            return SaveResult(errors={"note": "Only the persona's owner or an admin can save changes."})
        if persona is not None and persona.revision_number != submission.revision_number:
            return SaveResult(errors={"note": STALE_FORM})
        cycle = cycle_of(persona) if persona is not None else None  # before the save moves it
        draft = self._draft(s, workspace.id, persona, submission.draft_key, now)  # before the save rewords it
        values = dict(submission.values)
        values["key"] = persona.key if persona is not None else self._new_key(s, workspace.id, values)
        try:
            spec = build_persona_spec(values, label="this persona")
        except FileError as error:
            errors.update({name: _sentence(message) for name, message in error.field_problems.items()})
            return SaveResult(errors=errors)
        if errors:
            return SaveResult(errors=errors)
        try:
            result = apply_persona(s, workspace.id, spec, author=user_id, note=note, now=now)
        except PersonaConflict:
            return SaveResult(errors={"name": f"Another persona is already called “{spec.name}”."})
        if result.unchanged:
            return SaveResult(errors={"note": "Nothing has changed yet: change a field, or close the form."})
        if draft is not None:
            revision = result.persona.revision_number
            record_decision(s, workspace.id, draft, ACCEPTED, user_id, now, revision_number=revision)
        outcome: str | None = None
        message: ReviewMessage | None = None
        if persona is not None and submission.review_cycle is not None and submission.review_cycle == cycle:
            outcome = "retired" if spec.status == PersonaStatus.RETIRED.value else "edited"
            found = recorded_review_message(s, workspace.id, persona.id, cycle)
            message = ReviewMessage(*found) if found is not None else None
            record_review(s, workspace.id, result.persona.id, user_id, outcome, now=now)
        return SaveResult(
            persona=_ref(result.persona),
            revision_number=result.persona.revision_number,
            created=result.created,
            review_outcome=outcome,
            review_message=message,
        )

    def _draft(
        self, s: Session, workspace_id: int, persona: Persona | None, key: str | None, now: datetime
    ) -> RevisionDraft | None:
        """The revision draft an Accept opened this form for, as the evidence shows it now (None: no longer open)."""
        if persona is None or not key:
            return None
        rules = self._settings.rules_in(s, workspace_id)
        found = persona_evidence(s, workspace_id, Period.single(quarter_of(now)), persona.id, now=now, rules=rules)
        return find_draft(s, workspace_id, found, key) if found is not None else None

    @staticmethod
    def _new_key(session: Session, workspace_id: int, values: dict[str, Any]) -> str:
        """A key for a new persona that no existing persona has (a renamed persona keeps its old key)."""
        name = values.get("name")
        base = slugify(name) if isinstance(name, str) and name.strip() else ""
        if not base:
            return ""
        key, n = base, 2
        while get_persona_by_key(session, workspace_id, key) is not None:
            suffix = f"-{n}"
            key, n = base[: 120 - len(suffix)] + suffix, n + 1
        return key

    # --- history -----------------------------------------------------------------------------------------

    def history(self, team_id: str, query: str) -> HistoryAnswer:
        if not query.strip():
            return HistoryAnswer(Outcome.NEED_NAME, query)
        with self._sessions.begin() as s:
            workspace = ensure_workspace(s, team_id)
            result = search_personas(list_personas(s, workspace.id, include_retired=True), query)
            if result.best is None:
                refs = tuple(_ref(p) for p in (result.candidates or result.suggestions))
                return HistoryAnswer(Outcome.PICK if result.candidates else Outcome.NO_MATCH, query, candidates=refs)
            notes = decision_notes(s, workspace.id, result.best.id)
            entries = tuple(
                HistoryEntry(
                    number=r.number,
                    author=r.author,
                    created_at=r.created_at,
                    note=r.note,
                    changes=tuple(describe_changes(r.changes).values()),
                    evidence=tuple(notes.get(r.number, ())),
                )
                for r in revisions(s, workspace.id, result.best.id)
            )
            return HistoryAnswer(Outcome.FORM, query, persona=_ref(result.best), entries=entries)


def _sentence(problem: str) -> str:
    """File-style problems ("goals item 3 is 412 characters long; …") read fine in a form, capitalised."""
    return problem[:1].upper() + problem[1:] if problem else problem


__all__ = [
    "EditForm",
    "EditOpen",
    "EditSubmission",
    "HistoryAnswer",
    "HistoryEntry",
    "Outcome",
    "PersonaAdminService",
    "PersonaRef",
    "SaveResult",
    "may_edit",
]
