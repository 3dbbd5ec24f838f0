"""The lookup service answers from a cached catalogue that never outlives a change."""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

from sqlalchemy.orm import Session, sessionmaker

from bot.services.lookup import CardOutcome, LookupOutcome, LookupService
from persona_store.db import make_session_factory
from persona_store.models import Feedback, Workspace
from persona_store.persona_spec import PersonaSpec
from persona_store.personas import apply_persona, set_status

MARY = PersonaSpec(
    name="Marketing Director Mary",
    key="marketing-director-mary",
    role="Marketing Director",
    goals=("Hit pipeline targets",),
)
FIONA = PersonaSpec(name="Finance Fiona", key="finance-fiona", role="CFO", goals=("Cut costs",))


def seed(sessions: sessionmaker[Session], *specs: PersonaSpec, team: str = "T0TEST") -> int:
    with sessions.begin() as s:
        workspace = s.query(Workspace).filter_by(team_id=team).one_or_none() or Workspace(team_id=team)
        s.add(workspace)
        s.flush()
        for spec in specs:
            apply_persona(s, workspace.id, spec, author="U0ADMIN")
        return workspace.id


def test_unknown_workspace_has_no_personas_and_nothing_is_created(sessions: sessionmaker[Session]) -> None:
    service = LookupService(sessions, fresh_for=0)
    assert service.list_active("T0NOBODY") == []
    assert service.lookup("T0NOBODY", "mary").outcome is LookupOutcome.NO_MATCH
    with sessions.begin() as s:
        assert s.query(Workspace).count() == 0


def test_a_revision_is_visible_on_the_very_next_lookup(sessions: sessionmaker[Session]) -> None:
    workspace_id = seed(sessions, MARY, FIONA)
    service = LookupService(sessions, fresh_for=0)
    assert service.lookup("T0TEST", "mary").card.goals == ("Hit pipeline targets",)  # type: ignore[union-attr]
    with sessions.begin() as s:
        apply_persona(s, workspace_id, dataclasses.replace(MARY, goals=("Prove ROI",)), author="U0ADMIN")
    card = service.lookup("T0TEST", "mary").card
    assert card is not None and card.goals == ("Prove ROI",) and card.revision_number == 2


def test_retired_personas_disappear_and_new_ones_appear(sessions: sessionmaker[Session]) -> None:
    workspace_id = seed(sessions, MARY)
    service = LookupService(sessions, fresh_for=0)
    mary_id = service.lookup("T0TEST", "mary").card.id  # type: ignore[union-attr]
    with sessions.begin() as s:
        set_status(s, workspace_id, mary_id, "retired", author="U0ADMIN")
        apply_persona(s, workspace_id, FIONA, author="U0ADMIN")
    assert [c.name for c in service.list_active("T0TEST")] == ["Finance Fiona"]
    assert service.card("T0TEST", mary_id) is None
    assert service.lookup("T0TEST", "Marketing Director Mary").card is None


def test_new_ratings_update_the_cards_figures_and_only_a_validated_quarter_sets_last_validated(
    sessions: sessionmaker[Session],
) -> None:
    """The old card called the last rating of any score "last validated"; now it is the evidence model's rule."""
    workspace_id = seed(sessions, MARY)
    when = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
    service = LookupService(sessions, fresh_for=0, now=lambda: when)
    card = service.lookup("T0TEST", "mary").card
    assert card is not None and card.figures is not None and card.figures.fit.n == 0

    def rate(author: str, fit: int) -> None:
        with sessions.begin() as s:
            s.add(
                Feedback(
                    workspace_id=workspace_id,
                    persona_id=card.id,
                    revision_number=1,
                    submission_key=f"k-{author}",
                    author_id=author,
                    author_role="sales",
                    source="adhoc",
                    fit=fit,
                    created_at=when,
                    updated_at=when,
                )
            )

    rate("U0REP1", 5)
    figures = service.lookup("T0TEST", "mary").card.figures  # type: ignore[union-attr]
    assert figures is not None and figures.fit.n == 1 and figures.last_validated is None, "one 5/5 validates nothing"
    rate("U0REP2", 4)
    rate("U0REP3", 4)
    figures = service.lookup("T0TEST", "mary").card.figures  # type: ignore[union-attr]
    assert figures is not None and figures.fit.n == 3
    assert figures.last_validated == when.date(), "validated this quarter: today, while the quarter runs"


def test_cards_never_cross_workspaces(sessions: sessionmaker[Session]) -> None:
    seed(sessions, MARY, team="T0ONE")
    seed(sessions, FIONA, team="T0TWO")
    service = LookupService(sessions, fresh_for=0)
    mary = service.lookup("T0ONE", "mary").card
    assert mary is not None
    assert service.card("T0TWO", mary.id) is None
    assert [c.name for c in service.list_active("T0TWO")] == ["Finance Fiona"]


def test_another_process_s_change_shows_once_the_short_window_has_passed(sessions: sessionmaker[Session]) -> None:
    workspace_id = seed(sessions, MARY)
    now = [100.0]
    service = LookupService(sessions, fresh_for=0.25, clock=lambda: now[0])
    assert service.lookup("T0TEST", "mary").card.goals == ("Hit pipeline targets",)  # type: ignore[union-attr]
    elsewhere = make_session_factory(sessions.kw["bind"])  # another process's sessions: no in-process signal
    with elsewhere.begin() as s:
        apply_persona(s, workspace_id, dataclasses.replace(MARY, goals=("Prove ROI",)), author="U0ADMIN")
    now[0] += 0.1
    assert service.lookup("T0TEST", "mary").card.goals == ("Hit pipeline targets",)  # type: ignore[union-attr]
    now[0] += 0.2
    assert service.lookup("T0TEST", "mary").card.goals == ("Prove ROI",)  # type: ignore[union-attr]


def test_a_change_made_in_this_process_shows_at_once(sessions: sessionmaker[Session]) -> None:
    workspace_id = seed(sessions, MARY)
    service = LookupService(sessions, fresh_for=3600, clock=lambda: 100.0)
    assert service.lookup("T0TEST", "mary").card.goals == ("Hit pipeline targets",)  # type: ignore[union-attr]
    with sessions.begin() as s:
        apply_persona(s, workspace_id, dataclasses.replace(MARY, goals=("Prove ROI",)), author="U0ADMIN")
    assert service.lookup("T0TEST", "mary").card.goals == ("Prove ROI",)  # type: ignore[union-attr]


def test_lookups_arriving_together_after_a_change_load_the_catalogue_once_and_all_see_the_change(
    sessions: sessionmaker[Session],
) -> None:
    workspace_id = seed(sessions, MARY)
    loads: list[int] = []

    def slow_outcome_lines(_session: Session, workspace: int) -> Mapping[int, CardOutcome]:
        loads.append(workspace)  # once per catalogue load
        time.sleep(0.5)  # a big workspace's cards: every other lookup arrives while this one loads
        return {}

    service = LookupService(sessions, fresh_for=0, outcome_lines=slow_outcome_lines)
    assert service.lookup("T0TEST", "mary").card is not None
    with sessions.begin() as s:
        apply_persona(s, workspace_id, dataclasses.replace(MARY, goals=("Prove ROI",)), author="U0ADMIN")
    together = threading.Barrier(8)

    def look() -> tuple[str, ...]:
        together.wait()
        card = service.lookup("T0TEST", "mary").card
        assert card is not None
        return card.goals

    with ThreadPoolExecutor(8) as pool:
        seen = list(pool.map(lambda _: look(), range(8)))
    assert seen == [("Prove ROI",)] * 8, "every lookup that began after the change shows it"
    assert len(loads) == 2, "the first lookup's load, then one load for the eight that found the catalogue changed"
