"""Personas in the database: apply, revisions, import/export, rename, retire, reviews, history diffs."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from persona_store.files import FileError, dump_persona_file, fold_name, parse_persona_file
from persona_store.models import Persona, PersonaReview, PersonaRevision, Workspace
from persona_store.persona_spec import PersonaSpec
from persona_store.personas import (
    FieldChange,
    PersonaConflict,
    PersonaNotFound,
    Reworded,
    apply_persona,
    describe_changes,
    export_personas,
    get_persona,
    get_persona_by_key,
    import_personas,
    list_personas,
    persona_spec,
    record_review,
    revisions,
    set_status,
)

DEMO = Path(__file__).resolve().parents[2] / "bot" / "demo" / "data" / "personas.yaml"
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
T1 = T0 + timedelta(days=30)

FIONA = PersonaSpec(
    name="Finance Fiona",
    key="finance-fiona",
    role="Chief Financial Officer",
    summary="Signs off on software purchases.",
    goals=("Flat software spend", "Predictable costs"),
    pain_points=("Shadow IT",),
    owner="U0OWNER2",
)


def count(session: Session, model: type) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


@pytest.fixture
def other_workspace_id(sessions: sessionmaker[Session]) -> int:
    with sessions.begin() as s:
        ws = Workspace(team_id="T0OTHER", name="Other workspace")
        s.add(ws)
        s.flush()
        return ws.id


def test_fold_name() -> None:
    assert fold_name("  Finance \t FIONA ") == "finance fiona"
    assert fold_name("Straße") == fold_name("STRASSE")


# --- apply ---------------------------------------------------------------------------------------------------


def test_creating_a_persona_records_revision_one_with_every_field(
    sessions: sessionmaker[Session], workspace_id: int
) -> None:
    with sessions.begin() as s:
        result = apply_persona(s, workspace_id, FIONA, author="U0ADMIN", note="first draft", now=T0)
        assert result.created
        assert not result.unchanged
        assert result.changed_fields == (
            "name",
            "key",
            "role",
            "summary",
            "goals",
            "pain_points",
            "owner",
            "status",
        )
        persona_id = result.persona.id

    with sessions() as s:
        persona = get_persona(s, workspace_id, persona_id)
        assert persona is not None
        assert persona.name_folded == "finance fiona"
        assert persona.goals == ["Flat software spend", "Predictable costs"]
        assert persona.revision_number == 1
        assert persona.created_at == persona.revised_at == persona.reviewed_at == T0
        assert persona_spec(persona) == FIONA
        [revision] = revisions(s, workspace_id, persona_id)
        assert revision.number == 1
        assert revision.author == "U0ADMIN"
        assert revision.note == "first draft"
        assert revision.created_at == T0
        assert revision.snapshot == FIONA.as_dict()
        assert revision.changes["goals"] == {"before": None, "after": ["Flat software spend", "Predictable costs"]}
        assert revision.changes["status"] == {"before": None, "after": "active"}
        assert "motivations" not in revision.changes
        assert "team_roles" not in revision.changes


def test_an_identical_apply_changes_nothing(sessions: sessionmaker[Session], workspace_id: int) -> None:
    with sessions.begin() as s:
        apply_persona(s, workspace_id, FIONA, author="U0ADMIN", now=T0)
    with sessions.begin() as s:
        result = apply_persona(s, workspace_id, FIONA, author="U0ADMIN", now=T1)
        assert result.unchanged
        assert result.revision is None
    with sessions() as s:
        persona = get_persona_by_key(s, workspace_id, "finance-fiona")
        assert persona is not None
        assert persona.revision_number == 1
        assert persona.revised_at == T0
        assert count(s, PersonaRevision) == 1


def test_a_real_change_creates_exactly_one_revision_with_the_changed_fields(
    sessions: sessionmaker[Session], workspace_id: int
) -> None:
    with sessions.begin() as s:
        apply_persona(s, workspace_id, FIONA, author="U0ADMIN", now=T0)
    changed = dataclasses.replace(
        FIONA,
        goals=("Flat software spend", "Predictable annual costs", "Payback under a year"),
        summary="Signs off on every software purchase.",
        team_roles=("sales",),
    )
    with sessions.begin() as s:
        result = apply_persona(s, workspace_id, changed, author="U0EDITOR", note="Q1 interviews", now=T1)
        assert not result.created
        assert result.changed_fields == ("summary", "goals", "team_roles")
        persona_id = result.persona.id

    with sessions() as s:
        persona = get_persona(s, workspace_id, persona_id)
        assert persona is not None
        assert persona.revision_number == 2
        assert persona.revised_at == T1
        assert persona.team_roles == ["sales"]
        newest, first = revisions(s, workspace_id, persona_id)
        assert (newest.number, first.number) == (2, 1)
        assert newest.author == "U0EDITOR"
        assert newest.snapshot == changed.as_dict()
        assert newest.changes == {
            "summary": {"before": "Signs off on software purchases.", "after": "Signs off on every software purchase."},
            "goals": {
                "before": ["Flat software spend", "Predictable costs"],
                "after": ["Flat software spend", "Predictable annual costs", "Payback under a year"],
            },
            "team_roles": {"before": [], "after": ["sales"]},
        }


def test_a_rename_keeps_the_key_and_records_the_name_change(sessions: sessionmaker[Session], workspace_id: int) -> None:
    with sessions.begin() as s:
        persona_id = apply_persona(s, workspace_id, FIONA, author="U0ADMIN", now=T0).persona.id
    with sessions.begin() as s:
        result = apply_persona(s, workspace_id, dataclasses.replace(FIONA, name="CFO Fiona"), author="U0ADMIN", now=T1)
        assert result.changed_fields == ("name",)
    with sessions() as s:
        persona = get_persona(s, workspace_id, persona_id)
        assert persona is not None
        assert (persona.name, persona.name_folded, persona.key) == ("CFO Fiona", "cfo fiona", "finance-fiona")
        assert revisions(s, workspace_id, persona_id)[0].changes == {
            "name": {"before": "Finance Fiona", "after": "CFO Fiona"}
        }


def test_a_rename_onto_another_personas_name_is_a_conflict(sessions: sessionmaker[Session], workspace_id: int) -> None:
    with sessions.begin() as s:
        apply_persona(s, workspace_id, FIONA, author="U0ADMIN", now=T0)
        apply_persona(s, workspace_id, PersonaSpec(name="IT Admin Ivan", key="it-admin-ivan"), author="U0ADMIN")
    with sessions() as s, pytest.raises(PersonaConflict) as caught:
        apply_persona(s, workspace_id, PersonaSpec(name="finance  FIONA", key="it-admin-ivan"), author="U0ADMIN")
    assert str(caught.value) == (
        "'finance  FIONA' (key it-admin-ivan) has the same name as the existing persona 'Finance Fiona' "
        "(key finance-fiona); use key finance-fiona to update that one, or choose another name"
    )
    with sessions() as s:
        ivan = get_persona_by_key(s, workspace_id, "it-admin-ivan")
        assert ivan is not None
        assert ivan.name == "IT Admin Ivan"
        assert count(s, PersonaRevision) == 2


def test_retire_and_reactivate(sessions: sessionmaker[Session], workspace_id: int) -> None:
    with sessions.begin() as s:
        persona_id = apply_persona(s, workspace_id, FIONA, author="U0ADMIN", now=T0).persona.id
        apply_persona(s, workspace_id, PersonaSpec(name="IT Admin Ivan", key="it-admin-ivan"), author="U0ADMIN")
    with sessions.begin() as s:
        result = set_status(s, workspace_id, persona_id, "retired", author="U0OWNER2", note="merged", now=T1)
        assert result.changed_fields == ("status",)
    with sessions() as s:
        assert [p.name for p in list_personas(s, workspace_id)] == ["IT Admin Ivan"]
        assert [p.name for p in list_personas(s, workspace_id, include_retired=True)] == [
            "Finance Fiona",
            "IT Admin Ivan",
        ]
        latest = revisions(s, workspace_id, persona_id)[0]
        assert (latest.number, latest.note) == (2, "merged")
        assert latest.changes == {"status": {"before": "active", "after": "retired"}}
        assert [spec.name for spec in export_personas(s, workspace_id, include_retired=False)] == ["IT Admin Ivan"]
    with sessions.begin() as s:
        assert set_status(s, workspace_id, persona_id, "retired", author="U0OWNER2").unchanged
        assert set_status(s, workspace_id, persona_id, "active", author="U0OWNER2").changed_fields == ("status",)
        with pytest.raises(ValueError, match="status must be one of active, retired"):
            set_status(s, workspace_id, persona_id, "gone", author="U0OWNER2")
        with pytest.raises(PersonaNotFound):
            set_status(s, workspace_id, persona_id + 999, "retired", author="U0OWNER2")


def test_retiring_through_a_file_is_a_normal_change(sessions: sessionmaker[Session], workspace_id: int) -> None:
    with sessions.begin() as s:
        import_personas(s, workspace_id, [FIONA], now=T0)
    with sessions.begin() as s:
        summary = import_personas(s, workspace_id, [dataclasses.replace(FIONA, status="retired")], now=T1)
        assert (summary.created, summary.updated, summary.unchanged) == (0, 1, 0)
    with sessions() as s:
        assert list_personas(s, workspace_id) == []


# --- import / export -----------------------------------------------------------------------------------------


def test_import_then_export_round_trips_without_new_revisions(
    sessions: sessionmaker[Session], workspace_id: int
) -> None:
    specs = parse_persona_file(DEMO)
    with sessions.begin() as s:
        summary = import_personas(s, workspace_id, specs, now=T0)
        assert (summary.created, summary.updated, summary.unchanged) == (4, 0, 0)
    for fmt in ("yaml", "json"):
        with sessions() as s:
            exported = export_personas(s, workspace_id)
        assert sorted(exported, key=lambda p: p.key) == sorted(specs, key=lambda p: p.key)
        text = dump_persona_file(exported, fmt=fmt)  # type: ignore[arg-type]  # a literal from the loop
        with sessions.begin() as s:
            summary = import_personas(s, workspace_id, parse_persona_file(text, filename=f"x.{fmt}"), now=T1)
            assert (summary.created, summary.updated, summary.unchanged) == (0, 0, 4)
    with sessions() as s:
        assert count(s, PersonaRevision) == 4
        assert {p.revision_number for p in list_personas(s, workspace_id)} == {1}


def test_export_is_ordered_by_name_case_insensitively(sessions: sessionmaker[Session], workspace_id: int) -> None:
    names = ["marketing Mary", "IT Admin Ivan", "Finance Fiona", "zed", "Alpha"]
    with sessions.begin() as s:
        import_personas(s, workspace_id, [PersonaSpec(name=n, key=f"k{i}") for i, n in enumerate(names)])
    with sessions() as s:
        assert [p.name for p in export_personas(s, workspace_id)] == [
            "Alpha",
            "Finance Fiona",
            "IT Admin Ivan",
            "marketing Mary",
            "zed",
        ]


def test_import_counts_created_updated_unchanged(sessions: sessionmaker[Session], workspace_id: int) -> None:
    ivan = PersonaSpec(name="IT Admin Ivan", key="it-admin-ivan")
    with sessions.begin() as s:
        import_personas(s, workspace_id, [FIONA, ivan], now=T0)
    mary = PersonaSpec(name="Marketing Director Mary", key="marketing-director-mary")
    with sessions.begin() as s:
        summary = import_personas(
            s, workspace_id, [FIONA, dataclasses.replace(ivan, role="IT Administrator"), mary], author="U0ADMIN"
        )
        assert (summary.created, summary.updated, summary.unchanged) == (1, 1, 1)
    with sessions() as s:
        ivan_row = get_persona_by_key(s, workspace_id, "it-admin-ivan")
        assert ivan_row is not None
        assert revisions(s, workspace_id, ivan_row.id)[0].author == "U0ADMIN"


def test_import_refuses_a_name_held_by_another_key_before_writing(
    sessions: sessionmaker[Session], workspace_id: int
) -> None:
    with sessions.begin() as s:
        import_personas(s, workspace_id, [FIONA], now=T0)
    newcomer = PersonaSpec(name="IT Admin Ivan", key="it-admin-ivan")
    clash = PersonaSpec(name="FINANCE fiona", key="cfo")
    with sessions() as s:
        with pytest.raises(PersonaConflict, match="same name as the existing persona 'Finance Fiona'"):
            import_personas(s, workspace_id, [newcomer, clash])
        assert not s.new and not s.dirty
        assert count(s, Persona) == 1
    with sessions() as s:
        assert [p.key for p in list_personas(s, workspace_id)] == ["finance-fiona"]
        assert count(s, PersonaRevision) == 1


def test_import_refuses_duplicates_within_the_specs(sessions: sessionmaker[Session], workspace_id: int) -> None:
    with sessions() as s:
        with pytest.raises(PersonaConflict, match="key finance-fiona appears twice"):
            import_personas(s, workspace_id, [FIONA, dataclasses.replace(FIONA, name="Other")])
        with pytest.raises(PersonaConflict, match="the name 'Finance Fiona' appears twice"):
            import_personas(s, workspace_id, [FIONA, dataclasses.replace(FIONA, key="other")])
        assert count(s, Persona) == 0


def test_import_may_swap_names_between_personas(sessions: sessionmaker[Session], workspace_id: int) -> None:
    a = PersonaSpec(name="Alpha", key="a")
    b = PersonaSpec(name="Beta", key="b")
    with sessions.begin() as s:
        import_personas(s, workspace_id, [a, b], now=T0)
    with sessions.begin() as s:
        summary = import_personas(
            s, workspace_id, [dataclasses.replace(a, name="Beta"), dataclasses.replace(b, name="Alpha")], now=T1
        )
        assert summary.updated == 2
    with sessions() as s:
        assert {p.key: (p.name, p.name_folded) for p in list_personas(s, workspace_id)} == {
            "a": ("Beta", "beta"),
            "b": ("Alpha", "alpha"),
        }


def test_a_refused_file_writes_nothing(sessions: sessionmaker[Session], workspace_id: int, tmp_path: Path) -> None:
    path = tmp_path / "personas.yaml"
    path.write_text("personas:\n  - name: Good One\n  - name: Bad One\n    goals: 42\n", encoding="utf-8")
    with pytest.raises(FileError), sessions.begin() as s:
        import_personas(s, workspace_id, parse_persona_file(path))
    with sessions() as s:
        assert count(s, Persona) == 0
        assert count(s, PersonaRevision) == 0


def test_everything_is_scoped_by_workspace(
    sessions: sessionmaker[Session], workspace_id: int, other_workspace_id: int
) -> None:
    with sessions.begin() as s:
        mine = apply_persona(s, workspace_id, FIONA, author="U0ADMIN").persona.id
        theirs = apply_persona(s, other_workspace_id, FIONA, author="U0OTHER").persona.id
        apply_persona(s, other_workspace_id, PersonaSpec(name="Other Only", key="other-only"), author="U0OTHER")
    assert mine != theirs
    with sessions() as s:
        assert get_persona(s, workspace_id, theirs) is None
        assert get_persona_by_key(s, workspace_id, "other-only") is None
        assert revisions(s, workspace_id, theirs) == []
        assert [p.id for p in list_personas(s, workspace_id)] == [mine]
        assert len(export_personas(s, other_workspace_id)) == 2
        with pytest.raises(PersonaNotFound):
            record_review(s, workspace_id, theirs, "U0ADMIN", "accurate", T1)


# --- reviews -------------------------------------------------------------------------------------------------


def test_record_review_restarts_the_review_clock(sessions: sessionmaker[Session], workspace_id: int) -> None:
    with sessions.begin() as s:
        persona_id = apply_persona(s, workspace_id, FIONA, author="U0ADMIN", now=T0).persona.id
    with sessions.begin() as s:
        review = record_review(s, workspace_id, persona_id, "U0OWNER2", "accurate", T1)
        assert review.id is not None
    with sessions() as s:
        persona = get_persona(s, workspace_id, persona_id)
        assert persona is not None
        assert persona.reviewed_at == T1
        assert persona.revised_at == T0
        stored = s.scalars(select(PersonaReview)).one()
        assert (stored.persona_id, stored.reviewer, stored.outcome, stored.created_at) == (
            persona_id,
            "U0OWNER2",
            "accurate",
            T1,
        )
        with pytest.raises(ValueError, match="review outcome must be one of accurate, edited, retired"):
            record_review(s, workspace_id, persona_id, "U0OWNER2", "fine", T1)


# --- history -------------------------------------------------------------------------------------------------


def test_describe_changes_pairs_rewordings_and_lists_additions_and_removals() -> None:
    changes = {
        "goals": {
            "before": ["Flat software spend", "Predictable costs", "Fewer vendors"],
            "after": ["Flat software spend", "Predictable annual costs", "Payback under a year"],
        },
        "summary": {"before": "Old words.", "after": "New words."},
    }
    described = describe_changes(changes)
    assert list(described) == ["summary", "goals"]
    assert described["goals"] == FieldChange(
        field="goals",
        kind="list",
        added=("Payback under a year",),
        removed=("Fewer vendors",),
        reworded=(Reworded(before="Predictable costs", after="Predictable annual costs"),),
    )
    assert described["summary"] == FieldChange(field="summary", kind="text", before="Old words.", after="New words.")


def test_describe_changes_pairs_each_item_with_its_closest_rewording() -> None:
    described = describe_changes(
        {
            "objections": {
                "before": ["Too expensive for us", "No SSO in the base tier"],
                "after": ["SSO only in the enterprise tier", "Too expensive for a team our size"],
            }
        }
    )["objections"]
    assert described.reworded == (
        Reworded(before="No SSO in the base tier", after="SSO only in the enterprise tier"),
        Reworded(before="Too expensive for us", after="Too expensive for a team our size"),
    )
    assert described.added == described.removed == ()


def test_describe_changes_of_a_first_revision_and_a_reordering() -> None:
    described = describe_changes(
        {
            "name": {"before": None, "after": "Finance Fiona"},
            "goals": {"before": None, "after": ["a", "b"]},
            "channels": {"before": ["x", "y"], "after": ["y", "x"]},
            "team_roles": {"before": ["sales"], "after": []},
        }
    )
    assert described["name"] == FieldChange(field="name", kind="text", before=None, after="Finance Fiona")
    assert described["goals"] == FieldChange(field="goals", kind="list", added=("a", "b"))
    assert described["channels"].reordered
    assert described["channels"].added == described["channels"].removed == ()
    assert described["team_roles"].removed == ("sales",)


def test_describe_changes_of_stored_revisions(sessions: sessionmaker[Session], workspace_id: int) -> None:
    with sessions.begin() as s:
        persona_id = apply_persona(s, workspace_id, FIONA, author="U0ADMIN", now=T0).persona.id
        apply_persona(
            s,
            workspace_id,
            dataclasses.replace(FIONA, pain_points=("Shadow IT purchases", "Surprise renewals")),
            author="U0ADMIN",
            now=T1,
        )
    with sessions() as s:
        latest = revisions(s, workspace_id, persona_id)[0]
        assert describe_changes(latest.changes) == {
            "pain_points": FieldChange(
                field="pain_points",
                kind="list",
                added=("Surprise renewals",),
                reworded=(Reworded(before="Shadow IT", after="Shadow IT purchases"),),
            )
        }
