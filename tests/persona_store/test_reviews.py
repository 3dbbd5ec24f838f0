"""Review timing, the exactly-once ledger and the evidence digest, with fixed clocks, on SQLite and PostgreSQL."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from persona_store import effects
from persona_store.models import AttributeCheck, Feedback
from persona_store.persona_spec import PersonaSpec
from persona_store.personas import apply_persona, record_review, set_status
from persona_store.reviews import (
    REVIEW_LEASE,
    digest_window_start,
    due_for_review,
    overdue_reviews,
    review_cycle,
    review_digest,
    review_key,
)

CREATED = datetime(2026, 1, 10, 9, 0, tzinfo=UTC)
AFTER = 182
_keys = itertools.count(1)


def add_persona(s: Session, workspace_id: int, name: str, owner: str | None = "U0OWNER", at: datetime = CREATED) -> int:
    spec = PersonaSpec(name=name, key=name.lower().replace(" ", "-"), goals=("Grow",), owner=owner)
    return apply_persona(s, workspace_id, spec, author="test", note="Created", now=at).persona.id


def add_feedback(
    s: Session,
    workspace_id: int,
    persona_id: int,
    at: datetime,
    role: str = "sales",
    fit: int | None = 4,
    missing: str = "",
    doesnt: tuple[str, ...] = (),
    author: str = "U0REP",
) -> None:
    feedback = Feedback(
        workspace_id=workspace_id,
        persona_id=persona_id,
        revision_number=1,
        submission_key=f"k{next(_keys)}",
        author_id=author,
        author_role=role,
        source="adhoc",
        fit=fit,
        missing_text=missing,
        created_at=at,
        updated_at=at,
    )
    feedback.attribute_checks = [
        AttributeCheck(position=i, kind="pain_point", text=text, verdict="doesnt") for i, text in enumerate(doesnt)
    ]
    s.add(feedback)
    s.flush()


def test_a_persona_is_due_once_review_after_days_have_passed(
    sessions: sessionmaker[Session], workspace_id: int
) -> None:
    with sessions.begin() as s:
        add_persona(s, workspace_id, "Mary")
    with sessions.begin() as s:
        assert due_for_review(s, workspace_id, CREATED + timedelta(days=AFTER) - timedelta(seconds=1), AFTER) == []
        due = due_for_review(s, workspace_id, CREATED + timedelta(days=AFTER), AFTER)
        assert [p.name for p in due] == ["Mary"]


def test_retired_and_ownerless_personas_are_not_sent_but_ownerless_ones_are_overdue(
    sessions: sessionmaker[Session], workspace_id: int
) -> None:
    later = CREATED + timedelta(days=AFTER + 30)
    with sessions.begin() as s:
        add_persona(s, workspace_id, "Nobody Owns Me", owner=None)
        retired = add_persona(s, workspace_id, "Old Olga")
        set_status(s, workspace_id, retired, "retired", author="test", now=CREATED)
    with sessions.begin() as s:
        assert due_for_review(s, workspace_id, later, AFTER) == []
        overdue = overdue_reviews(s, workspace_id, later, AFTER)
        assert [(o.name, o.owner, o.days_overdue, o.request_status) for o in overdue] == [
            ("Nobody Owns Me", None, 30, None)
        ]


def test_a_claimed_cycle_is_never_due_again_and_a_review_starts_a_new_cycle(
    sessions: sessionmaker[Session], workspace_id: int
) -> None:
    first_due = CREATED + timedelta(days=AFTER)
    with sessions.begin() as s:
        persona_id = add_persona(s, workspace_id, "Mary")
    with sessions.begin() as s:
        (persona,) = due_for_review(s, workspace_id, first_due, AFTER)
        key = review_key(persona.id, review_cycle(persona))
        assert effects.take(s, workspace_id, key, "clock-a", first_due, REVIEW_LEASE) is not None
    with sessions.begin() as s:
        assert effects.take(s, workspace_id, key, "clock-b", first_due, REVIEW_LEASE) is None, "a second clock loses"
        assert effects.complete(s, workspace_id, key, "clock-a", first_due, detail="D1:1.0")
    with sessions.begin() as s:
        assert due_for_review(s, workspace_id, first_due + timedelta(days=60), AFTER) == []
        assert overdue_reviews(s, workspace_id, first_due + timedelta(days=60), AFTER)[0].request_status == "done"
        reviewed = first_due + timedelta(days=3)
        record_review(s, workspace_id, persona_id, "U0OWNER", "accurate", now=reviewed)
    with sessions.begin() as s:
        assert due_for_review(s, workspace_id, reviewed + timedelta(days=AFTER - 1), AFTER) == []
        assert overdue_reviews(s, workspace_id, reviewed + timedelta(days=AFTER - 1), AFTER) == []
        (again,) = due_for_review(s, workspace_id, reviewed + timedelta(days=AFTER), AFTER)
        assert review_key(again.id, review_cycle(again)) != key


def test_a_claim_whose_sender_died_is_taken_over_after_the_lease_and_a_released_one_at_once(
    sessions: sessionmaker[Session], workspace_id: int
) -> None:
    due = CREATED + timedelta(days=AFTER)
    with sessions.begin() as s:
        add_persona(s, workspace_id, "Mary")
    with sessions.begin() as s:
        (persona,) = due_for_review(s, workspace_id, due, AFTER)
        key = review_key(persona.id, review_cycle(persona))
        assert effects.take(s, workspace_id, key, "dead-clock", due, REVIEW_LEASE)
    with sessions.begin() as s:
        assert due_for_review(s, workspace_id, due + REVIEW_LEASE - timedelta(seconds=1), AFTER) == []
        assert overdue_reviews(s, workspace_id, due, AFTER)[0].request_status == "pending"
        later = due + REVIEW_LEASE + timedelta(seconds=1)
        assert [p.name for p in due_for_review(s, workspace_id, later, AFTER)] == ["Mary"]
        assert effects.take(s, workspace_id, key, "live-clock", later, REVIEW_LEASE)
    with sessions.begin() as s:
        assert not effects.complete(s, workspace_id, key, "dead-clock", later, detail=None)
        assert effects.release(s, workspace_id, key, "live-clock")
    with sessions.begin() as s:
        assert [p.name for p in due_for_review(s, workspace_id, later, AFTER)] == ["Mary"], "released: ask again"


def test_the_digest_shows_the_quarters_evidence_and_two_quarters_of_comments(
    sessions: sessionmaker[Session], workspace_id: int
) -> None:
    """The old digest averaged records over two quarters by created_at; its figures are now the evidence model's
    for the current quarter (each person once), the same as the card and Home. Comments still reach back."""
    now = datetime(2026, 8, 15, 12, 0, tzinfo=UTC)  # Q3: comments from 1 April on
    assert digest_window_start(now) == datetime(2026, 4, 1, tzinfo=UTC)
    with sessions.begin() as s:
        persona_id = add_persona(s, workspace_id, "Mary")
        other = add_persona(s, workspace_id, "Fiona")
        add_feedback(s, workspace_id, persona_id, datetime(2026, 3, 31, 23, 0, tzinfo=UTC), fit=1, missing="too old")
        add_feedback(s, workspace_id, persona_id, datetime(2026, 5, 2, tzinfo=UTC), fit=2, missing="  ")
        add_feedback(
            s, workspace_id, persona_id, datetime(2026, 6, 2, tzinfo=UTC), role="success", fit=5, missing="Budget"
        )
        add_feedback(s, workspace_id, persona_id, datetime(2026, 7, 2, tzinfo=UTC), fit=2, doesnt=("Attribution",))
        add_feedback(s, workspace_id, persona_id, datetime(2026, 7, 9, tzinfo=UTC), fit=4, doesnt=("Attribution",))
        add_feedback(
            s,
            workspace_id,
            persona_id,
            datetime(2026, 7, 12, tzinfo=UTC),
            role="success",
            fit=None,
            missing="Procurement",
            doesnt=("Attribution", "Too many tools"),
            author="U0REP2",
        )
        add_feedback(s, workspace_id, other, datetime(2026, 7, 3, tzinfo=UTC), fit=1, missing="not mine")
    with sessions.begin() as s:
        digest = review_digest(s, workspace_id, persona_id, now)
    assert digest.period.label == "2026-Q3" and digest.evidence is not None
    assert digest.evidence.people == 2 and digest.evidence.fit.n == 1, "U0REP rated twice in Q3: once, as 4"
    assert digest.evidence.fit.mean == 4.0
    assert [(m.text, m.counts.doesnt) for m in digest.mismatches] == [("Attribution", 2), ("Too many tools", 1)]
    assert [m.text for m in digest.missing] == ["Procurement", "Budget"]


def test_the_digest_of_a_persona_nobody_rated_is_empty(sessions: sessionmaker[Session], workspace_id: int) -> None:
    with sessions.begin() as s:
        persona_id = add_persona(s, workspace_id, "Mary")
        digest = review_digest(s, workspace_id, persona_id, CREATED + timedelta(days=AFTER))
    assert digest.evidence is not None and digest.evidence.people == 0
    assert (digest.mismatches, digest.missing) == ((), ())


def test_reviews_are_scoped_to_their_workspace(sessions: sessionmaker[Session], workspace_id: int) -> None:
    from persona_store.workspaces import ensure_workspace

    with sessions.begin() as s:
        add_persona(s, workspace_id, "Mary")
        other = ensure_workspace(s, "T0OTHER").id
    with sessions.begin() as s:
        assert due_for_review(s, other, CREATED + timedelta(days=400), AFTER) == []
        assert overdue_reviews(s, other, CREATED + timedelta(days=400), AFTER) == []
