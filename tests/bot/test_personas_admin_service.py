"""Editing personas and reading their history, through the service, on SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.config import Settings
from bot.services.personas_admin import EditSubmission, Outcome, PersonaAdminService
from persona_store.persona_spec import PersonaSpec
from persona_store.personas import apply_persona, get_persona, list_personas

TEAM = "T0TEST"  # the `workspace_id` fixture's team
NOW = datetime(2026, 11, 1, 10, 0, tzinfo=UTC)


@pytest.fixture
def service(sessions: sessionmaker[Session]) -> PersonaAdminService:
    return PersonaAdminService(sessions, Settings(admins=frozenset({"U0ADMIN"})))


@pytest.fixture
def mary(sessions: sessionmaker[Session], workspace_id: int) -> int:
    spec = PersonaSpec(
        name="Marketing Director Mary",
        key="mary",
        role="Marketing Director",
        goals=("Hit the pipeline target", "Prove campaign ROI"),
        owner="U0OWNER",
    )
    with sessions.begin() as s:
        return apply_persona(s, workspace_id, spec, author="import", note="Imported", now=NOW).persona.id


def values(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "name": "Marketing Director Mary",
        "role": "Marketing Director",
        "summary": "",
        "goals": ["Hit the pipeline target", "Prove campaign ROI"],
        "pain_points": [],
        "motivations": [],
        "objections": [],
        "channels": [],
        "evidence": [],
        "owner": "U0OWNER",
        "status": "active",
        "team_roles": [],
    }
    base.update(changes)
    return base


def test_owner_and_admin_get_the_form_others_are_refused(service: PersonaAdminService, mary: int) -> None:
    for user in ("U0OWNER", "U0ADMIN"):
        opened = service.open_edit(TEAM, user, "mary")
        assert opened.outcome is Outcome.FORM and opened.form is not None
        assert opened.form.spec.goals == ("Hit the pipeline target", "Prove campaign ROI")
        assert opened.form.revision_number == 1
    refused = service.open_edit(TEAM, "U0SOMEONE", "mary")
    assert refused.outcome is Outcome.NOT_ALLOWED and refused.form is None
    assert service.open_new(TEAM, "U0OWNER").outcome is Outcome.NOT_ALLOWED, "only admins add personas"
    assert service.open_new(TEAM, "U0ADMIN").outcome is Outcome.FORM


def test_saving_creates_a_revision_with_the_note(
    service: PersonaAdminService, mary: int, sessions: sessionmaker[Session], workspace_id: int
) -> None:
    submission = EditSubmission(mary, 1, values(goals=["Hit the pipeline targets", "Cut tool sprawl"]), "Q3 interviews")
    result = service.save(TEAM, "U0OWNER", submission, now=NOW + timedelta(days=1))
    assert result.ok and result.revision_number == 2
    history = service.history(TEAM, "mary")
    newest = history.entries[0]
    assert (newest.number, newest.author, newest.note) == (2, "U0OWNER", "Q3 interviews")
    (goals,) = newest.changes
    assert goals.added == ("Cut tool sprawl",) and goals.removed == ("Prove campaign ROI",)
    assert [(r.before, r.after) for r in goals.reworded] == [("Hit the pipeline target", "Hit the pipeline targets")]


def test_a_forged_submission_by_someone_else_saves_nothing(
    service: PersonaAdminService, mary: int, sessions: sessionmaker[Session], workspace_id: int
) -> None:
    result = service.save(TEAM, "U0SOMEONE", EditSubmission(mary, 1, values(name="Hacked"), "mine now"))
    assert not result.ok
    with sessions.begin() as s:
        persona = get_persona(s, workspace_id, mary)
        assert persona is not None and persona.name == "Marketing Director Mary"
    new = service.save(TEAM, "U0OWNER", EditSubmission(None, 0, values(name="Sneaky New"), "Created"))
    assert not new.ok, "owners cannot create personas through a forged 'new' form"


@pytest.mark.parametrize(
    ("changes", "note", "field"),
    [
        ({"name": ""}, "x", "name"),
        ({"goals": ["x" * 301]}, "x", "goals"),
        ({"status": "deleted"}, "x", "status"),
        ({}, "   ", "note"),
        ({}, "no change at all", "note"),
    ],
)
def test_problems_come_back_per_field(
    service: PersonaAdminService, mary: int, changes: dict[str, Any], note: str, field: str
) -> None:
    result = service.save(TEAM, "U0ADMIN", EditSubmission(mary, 1, values(**changes), note))
    assert field in result.errors


def test_a_name_clash_and_a_stale_form_are_refused(
    service: PersonaAdminService, mary: int, sessions: sessionmaker[Session], workspace_id: int
) -> None:
    created = service.save(TEAM, "U0ADMIN", EditSubmission(None, 0, values(name="Finance Fiona", owner=None), "New"))
    assert created.ok and created.created and created.persona is not None
    clash = service.save(
        TEAM, "U0ADMIN", EditSubmission(created.persona.id, 1, values(name="marketing director MARY"), "x")
    )
    assert "name" in clash.errors
    service.save(TEAM, "U0OWNER", EditSubmission(mary, 1, values(role="CMO"), "Promoted"))
    stale = service.save(TEAM, "U0ADMIN", EditSubmission(mary, 1, values(role="VP Marketing"), "Also promoted"))
    assert "note" in stale.errors and "after you opened it" in stale.errors["note"]


def test_a_new_persona_never_takes_over_a_renamed_ones_key(
    service: PersonaAdminService, mary: int, sessions: sessionmaker[Session], workspace_id: int
) -> None:
    # "mary" is Mary's key; a new persona called "Mary" must get a key of its own.
    service.save(TEAM, "U0ADMIN", EditSubmission(mary, 1, values(name="Marketing Director Maria"), "Renamed"))
    created = service.save(TEAM, "U0ADMIN", EditSubmission(None, 0, values(name="Mary"), "Created"))
    assert created.ok
    with sessions.begin() as s:
        names = {p.key: p.name for p in list_personas(s, workspace_id)}
    assert names == {"mary": "Marketing Director Maria", "mary-2": "Mary"}


def test_retired_personas_can_be_found_to_edit_and_reactivated(
    service: PersonaAdminService, mary: int, sessions: sessionmaker[Session], workspace_id: int
) -> None:
    assert service.save(TEAM, "U0OWNER", EditSubmission(mary, 1, values(status="retired"), "Replaced")).ok
    with sessions.begin() as s:
        assert list_personas(s, workspace_id) == []
    opened = service.open_edit(TEAM, "U0OWNER", "mary")
    assert opened.form is not None and opened.form.spec.status == "retired"
    assert service.save(TEAM, "U0OWNER", EditSubmission(mary, 2, values(), "Back again")).ok
    with sessions.begin() as s:
        assert [p.name for p in list_personas(s, workspace_id)] == ["Marketing Director Mary"]


def test_a_new_owner_takes_over_editing(service: PersonaAdminService, mary: int) -> None:
    assert service.save(TEAM, "U0ADMIN", EditSubmission(mary, 1, values(owner="U0NEWOWNER"), "Handover")).ok
    assert service.open_edit(TEAM, "U0OWNER", "mary").outcome is Outcome.NOT_ALLOWED
    assert service.open_edit(TEAM, "U0NEWOWNER", "mary").outcome is Outcome.FORM


def test_history_of_unknown_and_ambiguous_words(service: PersonaAdminService, mary: int) -> None:
    assert service.history(TEAM, "").outcome is Outcome.NEED_NAME
    assert service.history(TEAM, "quantum astronaut").outcome is Outcome.NO_MATCH
    assert service.open_edit(TEAM, "U0ADMIN", "").outcome is Outcome.NEED_NAME
    history = service.history(TEAM, "mary")
    assert [e.number for e in history.entries] == [1]
    assert dataclasses.asdict(history.entries[0])["note"] == "Imported"
