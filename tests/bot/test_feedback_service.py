"""FeedbackService on SQLite and PostgreSQL: forms, recording once per form, edits, deletes, other workspaces."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.blocks.feedback import build_confirmation
from bot.config import Settings
from bot.services.feedback import FeedbackService
from bot.services.settings import SettingsService
from persona_store.feedback import FeedbackAnswers, FeedbackError, NotAuthor, PersonaUnavailable
from persona_store.files import parse_persona_file
from persona_store.models import Feedback
from persona_store.personas import import_personas, list_personas, set_status
from persona_store.roster import import_roster
from persona_store.roster_file import parse_roster_csv
from persona_store.workspace_settings import WorkspaceSettings
from persona_store.workspaces import ensure_workspace

DEMO_DATA = Path(__file__).resolve().parents[2] / "bot" / "demo" / "data"
TEAM = "T0SERVICE"
REP = "U0DEMO002"  # sales in the demo roster


@pytest.fixture
def service(sessions: sessionmaker[Session]) -> FeedbackService:
    with sessions.begin() as s:
        workspace_id = ensure_workspace(s, TEAM).id
        import_personas(s, workspace_id, parse_persona_file(DEMO_DATA / "personas.yaml"), author="import")
        import_roster(s, workspace_id, parse_roster_csv(DEMO_DATA / "roster.csv"))
    return FeedbackService(sessions, Settings())


def persona_id(sessions: sessionmaker[Session], name: str) -> int:
    with sessions.begin() as s:
        return next(p.id for p in list_personas(s, ensure_workspace(s, TEAM).id) if p.name == name)


def answers(pid: int, **changes: object) -> FeedbackAnswers:
    base = FeedbackAnswers(persona_id=pid, revision_number=1, role="sales", fit=5, verdicts={0: "matches"})
    return replace(base, **changes)  # type: ignore[arg-type]


def count(sessions: sessionmaker[Session]) -> int:
    with sessions.begin() as s:
        return int(s.scalar(select(func.count()).select_from(Feedback)) or 0)


def test_a_form_offers_every_active_persona_and_the_roster_role(
    service: FeedbackService, sessions: sessionmaker[Session]
) -> None:
    form = service.form(TEAM, REP)
    assert form is not None and form.persona is None and form.role == "sales" and not form.anonymous
    assert "Marketing Director Mary" in [p.name for p in form.personas]
    stranger = service.form(TEAM, "U0STRANGER")
    assert stranger is not None and stranger.role is None, "not on the roster: they choose"


def test_words_preselect_the_persona_they_match_or_say_they_matched_none(service: FeedbackService) -> None:
    form = service.form(TEAM, REP, query="fionna")
    assert form is not None and form.persona is not None and form.persona.name == "Finance Fiona"
    missed = service.form(TEAM, REP, query="quantum astronaut")
    assert missed is not None and missed.persona is None and missed.query_missed == "quantum astronaut"


def test_unknown_retired_or_foreign_personas_get_no_form(
    service: FeedbackService, sessions: sessionmaker[Session]
) -> None:
    mary = persona_id(sessions, "Marketing Director Mary")
    assert service.form(TEAM, REP, persona_id=mary) is not None
    assert service.form("T0ELSEWHERE", REP, persona_id=mary) is None
    assert service.form(TEAM, REP, persona_id=999_999) is None
    with sessions.begin() as s:
        set_status(s, ensure_workspace(s, TEAM).id, mary, "retired", author="test")
    assert service.form(TEAM, REP, persona_id=mary) is None
    assert service.persona(TEAM, mary) is None
    with pytest.raises(PersonaUnavailable):
        service.record(TEAM, REP, answers(mary), form_key="k", source="adhoc")


def test_the_same_form_submitted_twice_is_one_record(service: FeedbackService, sessions: sessionmaker[Session]) -> None:
    mary = persona_id(sessions, "Marketing Director Mary")
    first = service.record(TEAM, REP, answers(mary), form_key="form-1", source="adhoc")
    again = service.record(TEAM, REP, answers(mary), form_key="form-1", source="adhoc")
    other = service.record(TEAM, REP, answers(mary), form_key="form-2", source="shortcut")
    assert first.created and not again.created and again.id == first.id and other.id != first.id
    assert first.persona_name == "Marketing Director Mary" and first.verdict_counts == (("matches", 1),)
    assert count(sessions) == 2


def test_a_new_answer_is_stored_in_one_transaction_of_five_statements(
    service: FeedbackService, sessions: sessionmaker[Session]
) -> None:
    """A burst of submissions is as fast as its round trips to the database: the workspace, the persona, the record,
    its verdicts and the workspace's anonymity for the confirmation; nothing read twice, nothing read back."""
    mary = persona_id(sessions, "Marketing Director Mary")
    statements: list[str] = []
    engine = sessions.kw["bind"]

    def listener(_conn: object, _cursor: object, statement: str, *_rest: object) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", listener)
    try:
        receipt = service.record(TEAM, REP, answers(mary), form_key="f", source="adhoc")
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert receipt.created and receipt.persona_name == "Marketing Director Mary"
    assert receipt.verdict_counts == (("matches", 1),)
    real = [sql for sql in statements if not sql.lstrip().upper().startswith(("BEGIN", "PRAGMA"))]
    assert len(real) == 5, "\n".join(real)


def test_someone_else_reusing_a_form_key_gets_their_own_record(
    service: FeedbackService, sessions: sessionmaker[Session]
) -> None:
    mary = persona_id(sessions, "Marketing Director Mary")
    mine = service.record(TEAM, REP, answers(mary), form_key="shared", source="adhoc")
    theirs = service.record(TEAM, "U0DEMO003", answers(mary, role="success"), form_key="shared", source="adhoc")
    assert theirs.created and theirs.id != mine.id and theirs.role == "success"
    with pytest.raises(FeedbackError):
        service.record(TEAM, REP, answers(mary), form_key="k" * 65, source="adhoc")


def test_edit_form_update_and_delete_belong_to_the_author(
    service: FeedbackService, sessions: sessionmaker[Session]
) -> None:
    mary = persona_id(sessions, "Marketing Director Mary")
    saved = service.record(
        TEAM, REP, answers(mary, evidence_permalink="https://t.slack.com/x"), form_key="f", source="shortcut"
    )
    form = service.edit_form(TEAM, REP, saved.id)
    assert form is not None and form.feedback_id == saved.id and form.prefill is not None
    assert form.prefill.fit == 5 and form.prefill.verdicts == {0: "matches"} and form.role == "sales"
    with pytest.raises(NotAuthor):
        service.edit_form(TEAM, "U0DEMO003", saved.id)
    with pytest.raises(NotAuthor):
        service.update(TEAM, "U0DEMO003", saved.id, answers(mary, fit=1))
    with pytest.raises(NotAuthor):
        service.delete(TEAM, "U0DEMO003", saved.id)
    assert service.edit_form("T0ELSEWHERE", REP, saved.id) is None

    updated = service.update(TEAM, REP, saved.id, answers(mary, fit=2, verdicts={}))
    assert updated is not None and updated.updated and updated.fit == 2 and updated.verdict_counts == ()
    assert count(sessions) == 1
    assert service.delete(TEAM, REP, saved.id) == "Marketing Director Mary"
    assert service.delete(TEAM, REP, saved.id) is None
    assert service.update(TEAM, REP, saved.id, answers(mary)) is None
    assert service.edit_form(TEAM, REP, saved.id) is None
    assert count(sessions) == 0


def test_saving_the_same_edit_twice_changes_nothing_the_second_time(
    service: FeedbackService, sessions: sessionmaker[Session]
) -> None:
    # A double click on Save in the Edit modal: one change, one "Updated" confirmation, not two.
    mary = persona_id(sessions, "Marketing Director Mary")
    saved = service.record(TEAM, REP, answers(mary), form_key="f", source="adhoc")
    edit = answers(mary, fit=2, missing_text="Budget season")
    first = service.update(TEAM, REP, saved.id, edit)
    assert first is not None and first.updated and first.fit == 2
    with sessions.begin() as s:
        stamp = s.get(Feedback, saved.id).updated_at  # type: ignore[union-attr]
    again = service.update(TEAM, REP, saved.id, edit)
    assert again is not None and not again.updated and again.fit == 2, "nothing new: nothing to confirm"
    with sessions.begin() as s:
        assert s.get(Feedback, saved.id).updated_at == stamp  # type: ignore[union-attr]
    with pytest.raises(NotAuthor):
        service.update(TEAM, "U0DEMO003", saved.id, edit)  # the same answers from someone else are still refused
    assert count(sessions) == 1


def test_anonymous_ratings_setting_reaches_the_form(sessions: sessionmaker[Session], service: FeedbackService) -> None:
    anonymous = FeedbackService(sessions, Settings(anonymous_ratings=True))
    form = anonymous.form(TEAM, REP)
    assert form is not None and form.anonymous


def test_the_confirmation_says_what_the_workspace_s_anonymity_is_when_the_answer_is_stored(
    service: FeedbackService, sessions: sessionmaker[Session]
) -> None:
    mary = persona_id(sessions, "Marketing Director Mary")
    named = service.record(TEAM, REP, answers(mary), form_key="before", source="adhoc")
    assert not named.anonymous and "with your name" in json.dumps(build_confirmation(named))
    SettingsService(sessions, Settings()).save(TEAM, "U0ADMIN", replace(WorkspaceSettings(), anonymous=True))
    anonymous = service.record(TEAM, REP, answers(mary), form_key="after", source="adhoc")
    assert anonymous.anonymous and "without your name" in json.dumps(build_confirmation(anonymous))
    edited = service.update(TEAM, REP, named.id, answers(mary, fit=2))
    assert edited is not None and edited.anonymous, "an edit is confirmed under today's setting"
