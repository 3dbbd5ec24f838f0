"""Feedback records on SQLite and PostgreSQL: stored once per submission, edited in place, deleted by the author."""

from __future__ import annotations

import dataclasses
import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from persona_store.feedback import (
    FeedbackAnswers,
    FeedbackError,
    NotAuthor,
    PersonaUnavailable,
    checkin_submission_key,
    delete_feedback,
    get_feedback,
    recent_feedback_for_user,
    record_feedback,
    update_feedback,
)
from persona_store.models import AttributeCheck, Feedback, Workspace
from persona_store.persona_spec import PersonaSpec
from persona_store.personas import apply_persona, set_status

HOSTILE = '<!channel> =HYPERLINK("http://x","y") \x07\x1b\x7f 🎉 עברית العربية ' + "x" * 2900


def add_persona(sessions: sessionmaker[Session], workspace_id: int, name: str = "Mary", **fields: object) -> int:
    spec = PersonaSpec(
        name=name,
        key=name.lower(),
        goals=("Hit pipeline",),
        pain_points=("Attribution", "Too many tools"),
        objections=("Migration takes a quarter",),
    )
    with sessions.begin() as s:
        return apply_persona(s, workspace_id, dataclasses.replace(spec, **fields), author="test").persona.id  # type: ignore[arg-type]


def answers(persona_id: int, **changes: object) -> FeedbackAnswers:
    base = FeedbackAnswers(
        persona_id=persona_id,
        revision_number=1,
        role="sales",
        fit=4,
        verdicts={0: "matches", 2: "doesnt"},
        missing_text="They care about board reporting",
        evidence_ref="https://crm.example/deals/42",
        journey_stage="evaluation",
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def count(sessions: sessionmaker[Session], model: type = Feedback) -> int:
    with sessions.begin() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def test_a_record_keeps_every_answer_and_the_statements_it_judged(
    sessions: sessionmaker[Session], workspace_id: int
) -> None:
    persona_id = add_persona(sessions, workspace_id)
    with sessions.begin() as s:
        record, created = record_feedback(
            s, workspace_id, answers(persona_id), submission_key="k1", author_id="U0REP", source="adhoc"
        )
        feedback_id = record.id
    assert created
    with sessions.begin() as s:
        stored = get_feedback(s, workspace_id, feedback_id)
        assert stored is not None
        assert (stored.fit, stored.not_met, stored.author_role, stored.source) == (4, False, "sales", "adhoc")
        assert stored.revision_number == 1 and stored.journey_stage == "evaluation"
        assert [(c.position, c.kind, c.text, c.verdict) for c in stored.attribute_checks] == [
            (0, "goal", "Hit pipeline", "matches"),
            (2, "pain_point", "Too many tools", "doesnt"),
        ]
        assert stored.created_at.tzinfo is not None and stored.created_at == stored.updated_at


def test_the_same_submission_twice_is_stored_once_and_the_first_answers_win(
    sessions: sessionmaker[Session], workspace_id: int
) -> None:
    persona_id = add_persona(sessions, workspace_id)
    with sessions.begin() as s:
        first, created = record_feedback(
            s, workspace_id, answers(persona_id), submission_key="same", author_id="U0REP", source="adhoc"
        )
    with sessions.begin() as s:
        again, created_again = record_feedback(
            s, workspace_id, answers(persona_id, fit=1), submission_key="same", author_id="U0REP", source="adhoc"
        )
        assert again.fit == 4
    assert created and not created_again and again.id == first.id
    assert count(sessions) == 1 and count(sessions, AttributeCheck) == 2


def test_eight_identical_submissions_at_once_store_one_row(sessions: sessionmaker[Session], workspace_id: int) -> None:
    persona_id = add_persona(sessions, workspace_id)
    barrier = threading.Barrier(8)
    outcomes: list[bool] = []
    errors: list[BaseException] = []

    def submit() -> None:
        try:
            barrier.wait()
            with sessions.begin() as s:
                _, created = record_feedback(
                    s, workspace_id, answers(persona_id), submission_key="burst", author_id="U0REP", source="adhoc"
                )
            outcomes.append(created)
        except BaseException as error:  # reported below; a thread can't fail the test itself
            errors.append(error)

    threads = [threading.Thread(target=submit) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert sorted(outcomes) == [False] * 7 + [True]
    assert count(sessions) == 1 and count(sessions, AttributeCheck) == 2


def test_replace_updates_a_checkin_answer_in_place(sessions: sessionmaker[Session], workspace_id: int) -> None:
    persona_id = add_persona(sessions, workspace_id)
    key = checkin_submission_key(3, persona_id, "U0REP")
    assert key == f"checkin:3:{persona_id}:U0REP"
    with sessions.begin() as s:
        record_feedback(s, workspace_id, answers(persona_id), submission_key=key, author_id="U0REP", source="adhoc")
    later = datetime(2030, 1, 1, tzinfo=UTC)
    with sessions.begin() as s:
        record, created = record_feedback(
            s,
            workspace_id,
            answers(persona_id, fit=None, not_met=True, verdicts={1: "partly"}),
            submission_key=key,
            author_id="U0REP",
            source="adhoc",
            replace=True,
            now=later,
        )
    assert not created
    with sessions.begin() as s:
        stored = get_feedback(s, workspace_id, record.id)
        assert stored is not None and stored.fit is None and stored.not_met
        assert [(c.position, c.verdict) for c in stored.attribute_checks] == [(1, "partly")]
        assert stored.updated_at == later and stored.created_at < later
    with sessions.begin() as s, pytest.raises(NotAuthor):
        record_feedback(
            s, workspace_id, answers(persona_id), submission_key=key, author_id="U0OTHER", source="adhoc", replace=True
        )


def test_update_and_delete_are_for_the_author_only(sessions: sessionmaker[Session], workspace_id: int) -> None:
    persona_id = add_persona(sessions, workspace_id)
    with sessions.begin() as s:
        record, _ = record_feedback(
            s, workspace_id, answers(persona_id), submission_key="k", author_id="U0REP", source="shortcut"
        )
    with sessions.begin() as s, pytest.raises(NotAuthor):
        update_feedback(s, workspace_id, record.id, "U0OTHER", answers(persona_id, fit=1))
    with sessions.begin() as s, pytest.raises(NotAuthor):
        delete_feedback(s, workspace_id, record.id, "U0OTHER")
    with sessions.begin() as s:
        updated = update_feedback(s, workspace_id, record.id, "U0REP", answers(persona_id, fit=2, verdicts={}))
        assert updated is not None and updated.fit == 2 and updated.attribute_checks == []
    assert count(sessions) == 1
    with sessions.begin() as s:
        assert delete_feedback(s, workspace_id, record.id, "U0REP")
    with sessions.begin() as s:
        assert not delete_feedback(s, workspace_id, record.id, "U0REP")
        assert update_feedback(s, workspace_id, record.id, "U0REP", answers(persona_id)) is None
    assert count(sessions) == 0 and count(sessions, AttributeCheck) == 0


def test_another_workspace_sees_and_touches_nothing(sessions: sessionmaker[Session], workspace_id: int) -> None:
    persona_id = add_persona(sessions, workspace_id)
    with sessions.begin() as s:
        other = Workspace(team_id="T0OTHER")
        s.add(other)
        s.flush()
        other_id = other.id
        record, _ = record_feedback(
            s, workspace_id, answers(persona_id), submission_key="k", author_id="U0REP", source="adhoc"
        )
    with sessions.begin() as s:
        assert get_feedback(s, other_id, record.id) is None
        assert not delete_feedback(s, other_id, record.id, "U0REP")
        with pytest.raises(PersonaUnavailable):
            record_feedback(s, other_id, answers(persona_id), submission_key="k", author_id="U0REP", source="adhoc")
        # The same key in another workspace is another submission.
    assert count(sessions) == 1


def test_retired_personas_and_impossible_answers_are_refused(
    sessions: sessionmaker[Session], workspace_id: int
) -> None:
    persona_id = add_persona(sessions, workspace_id)
    refused = [
        answers(persona_id, fit=7),
        answers(persona_id, fit=3, not_met=True),
        answers(persona_id, role="ceo"),
        answers(persona_id, verdicts={0: "maybe"}),
        answers(persona_id, verdicts={9: "matches"}),
        answers(persona_id, journey_stage="nirvana"),
        answers(persona_id, revision_number=42),
    ]
    for bad in refused:
        with sessions.begin() as s, pytest.raises(FeedbackError):
            record_feedback(s, workspace_id, bad, submission_key="bad", author_id="U0REP", source="adhoc")
    with sessions.begin() as s, pytest.raises(FeedbackError):
        record_feedback(s, workspace_id, answers(persona_id), submission_key="x", author_id="U0REP", source="email")
    with sessions.begin() as s:
        set_status(s, workspace_id, persona_id, "retired", author="test")
    with sessions.begin() as s, pytest.raises(PersonaUnavailable):
        record_feedback(s, workspace_id, answers(persona_id), submission_key="k", author_id="U0REP", source="adhoc")
    assert count(sessions) == 0


def test_verdicts_belong_to_the_revision_the_person_saw(sessions: sessionmaker[Session], workspace_id: int) -> None:
    persona_id = add_persona(sessions, workspace_id)
    add_persona(sessions, workspace_id, goals=("A brand new goal", "Hit pipeline"))  # revision 2 reorders
    with sessions.begin() as s:
        record, _ = record_feedback(
            s, workspace_id, answers(persona_id, revision_number=1), submission_key="k", author_id="U0", source="adhoc"
        )
        assert record.revision_number == 1
        assert [c.text for c in record.attribute_checks] == ["Hit pipeline", "Too many tools"]


def test_hostile_text_is_stored_exactly_as_typed(sessions: sessionmaker[Session], workspace_id: int) -> None:
    persona_id = add_persona(sessions, workspace_id)
    hostile = answers(
        persona_id, missing_text=HOSTILE, objections_text=HOSTILE, evidence_ref=HOSTILE, evidence_message=HOSTILE
    )
    with sessions.begin() as s:
        record, _ = record_feedback(s, workspace_id, hostile, submission_key="k", author_id="U0REP", source="adhoc")
    with sessions.begin() as s:
        stored = get_feedback(s, workspace_id, record.id)
        assert stored is not None
        assert {stored.missing_text, stored.objections_text, stored.evidence_ref, stored.evidence_message} == {HOSTILE}


def test_recent_feedback_lists_the_authors_own_newest_first(sessions: sessionmaker[Session], workspace_id: int) -> None:
    mary = add_persona(sessions, workspace_id)
    fiona = add_persona(sessions, workspace_id, name="Fiona")
    for number, (persona_id, author) in enumerate([(mary, "U0A"), (fiona, "U0A"), (mary, "U0B")]):
        at = datetime(2026, 1, 1 + number, tzinfo=UTC)
        with sessions.begin() as s:
            record_feedback(
                s,
                workspace_id,
                answers(persona_id),
                submission_key=f"k{number}",
                author_id=author,
                source="adhoc",
                now=at,
            )
    with sessions.begin() as s:
        mine = recent_feedback_for_user(s, workspace_id, "U0A")
        assert [f.persona_id for f in mine] == [fiona, mary]
        assert [f.persona_id for f in recent_feedback_for_user(s, workspace_id, "U0A", persona_id=mary)] == [mary]
