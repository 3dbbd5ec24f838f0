"""Data rights: export every record about a person; delete them while every aggregate stays as it was."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from persona_store import report_rows
from persona_store.evidence import load_evidence
from persona_store.models import (
    CheckinRound,
    Effect,
    Feedback,
    Participation,
    Persona,
    PersonaReview,
    PersonaRevision,
    RosterMember,
    slack_installations,
)
from persona_store.persona_spec import PersonaSpec
from persona_store.personas import apply_persona, record_review
from persona_store.quarters import Period, parse_quarter
from persona_store.users import UserNotFound, delete_user, export_user, pseudonym
from persona_store.workspaces import ensure_workspace
from tests.reports_seed import NOW, seed_world

LEAVER = "U0SUCC1"  # rated Alpha, Bravo and Charlie (with evidence), skipped the Q3 round


def numbers(sessions: sessionmaker[Session], workspace_id: int) -> list[Any]:
    """Everything a manager reads in the report for Q3 and Q2, minus the names of people."""
    found: list[Any] = []
    with sessions.begin() as s:
        for quarter in ("2026-Q3", "2026-Q2"):
            period = Period.single(parse_quarter(quarter))
            report = load_evidence(s, workspace_id, period, now=NOW)
            found.append(
                [
                    (
                        p.name,
                        p.people,
                        p.fit,
                        p.previous,
                        p.not_met,
                        [(st.kind, st.text, st.counts, sorted(st.by_role.items())) for st in p.statements],
                        p.agreement,
                        p.role_gap,
                        p.verdict,
                        sorted(p.by_role.items()),
                        p.sources,
                    )
                    for p in report.personas
                ]
            )
            found.append((report.participation.total, sorted(report.participation.by_role.items())))
            found.append(
                (
                    report_rows.count_responses(s, workspace_id, period),
                    report_rows.count_comments(s, workspace_id, period),
                    len(report_rows.rep_participation(s, workspace_id, period)),
                )
            )
    return found


def add_extras(sessions: sessionmaker[Session], workspace_id: int) -> None:
    """Things the report seed lacks: a persona they own and edited, a review, ledger entries, an install."""
    with sessions.begin() as s:
        spec = PersonaSpec(name="Echo Erin", key="echo-erin", owner=LEAVER, goals=("Fewer tools",))
        persona = apply_persona(s, workspace_id, spec, author=LEAVER).persona
        record_review(s, workspace_id, persona.id, LEAVER, "accurate", now=NOW)
        round_id = s.scalar(select(CheckinRound.id).where(CheckinRound.workspace_id == workspace_id))
        s.add(Effect(workspace_id=workspace_id, key=f"checkin:{round_id}:{LEAVER}:invite", status="done"))
        s.add(Effect(workspace_id=workspace_id, key=f"checkin:{round_id}:{LEAVER}X:invite", status="done"))
        s.execute(
            slack_installations.insert().values(
                client_id="1111.2222",
                app_id="A0",
                team_id="T0REPORT",
                user_id=LEAVER,
                installed_at=NOW.replace(tzinfo=None),
            )
        )


@pytest.fixture
def world(sessions: sessionmaker[Session]) -> int:
    seed_world(sessions)
    with sessions.begin() as s:
        workspace_id = ensure_workspace(s, "T0REPORT").id
    add_extras(sessions, workspace_id)
    return workspace_id


def test_export_has_every_record_about_the_person_and_nothing_else(sessions: sessionmaker[Session], world: int) -> None:
    with sessions.begin() as s:
        other = ensure_workspace(s, "T0OTHER").id
        s.add(RosterMember(workspace_id=other, slack_user_id=LEAVER, name="Same id elsewhere", role="sales"))
    with sessions.begin() as s:
        data = export_user(s, world, LEAVER)
    assert data["team_id"] == "T0REPORT" and data["roster"]["name"] == "Cathy Success"
    assert sorted(f["persona"] for f in data["feedback"]) == ["alpha", "bravo", "charlie"]
    assert {c["verdict"] for f in data["feedback"] for c in f["attribute_checks"]} == {"partly", "doesnt"}
    assert [(c["quarter"], c["skip_reason"]) for c in data["checkins"]] == [("2026-Q3", "no_customer_contact")]
    assert [p["key"] for p in data["personas_owned"]] == ["echo-erin"]
    assert [r["persona"] for r in data["revisions_authored"]] == ["echo-erin"]
    assert [r["outcome"] for r in data["reviews"]] == ["accurate"]
    assert [e["key"].split(":")[-2] for e in data["messages_sent_to_them"]] == [LEAVER], "U0SUCC1X is someone else"
    assert [i["team_id"] for i in data["installations"]] == ["T0REPORT"]
    assert "bot_token" not in data["installations"][0]
    with sessions.begin() as s:
        assert export_user(s, other, LEAVER)["feedback"] == []


def test_delete_removes_every_trace_and_keeps_every_number(sessions: sessionmaker[Session], world: int) -> None:
    before = numbers(sessions, world)
    with sessions.begin() as s:
        summary = delete_user(s, world, LEAVER)
    assert (summary.roster_rows, summary.feedback, summary.participations) == (1, 3, 1)
    assert (summary.revisions, summary.reviews, summary.personas_unowned, summary.ledger_entries) == (1, 1, 1, 1)
    assert summary.installations == 1
    assert numbers(sessions, world) == before, "means, respondents, verdicts, response rates and comments unchanged"
    with sessions.begin() as s:
        with pytest.raises(UserNotFound):
            export_user(s, world, LEAVER)
        alias = pseudonym(world, LEAVER)
        assert s.scalar(select(RosterMember).where(RosterMember.slack_user_id == LEAVER)) is None
        assert len(s.scalars(select(Feedback).where(Feedback.author_id == alias)).all()) == 3
        assert all(LEAVER not in f.submission_key for f in s.scalars(select(Feedback)))
        assert s.scalar(select(Participation.skip_reason).where(Participation.slack_user_id == alias))
        assert s.scalar(select(Persona.owner).where(Persona.key == "echo-erin")) is None
        assert s.scalar(select(PersonaReview.reviewer)) == alias
        revision = s.scalars(select(PersonaRevision).where(PersonaRevision.author == alias)).one()
        assert LEAVER not in str(revision.snapshot) and LEAVER not in str(revision.changes)
        keys = sorted(s.scalars(select(Effect.key)))
        assert any(k.endswith(f"{LEAVER}X:invite") for k in keys), "another person's ledger entry is untouched"
        assert sum(LEAVER in k for k in keys) == 1
        assert s.scalar(select(slack_installations.c.user_id)) == alias
        evidence = s.scalars(select(Feedback).where(Feedback.author_id == alias, Feedback.evidence_ref != "")).one()
        assert evidence.evidence_permalink, "evidence stays attributable to its source"
        assert evidence.evidence_message == ""


def test_erase_text_blanks_observations_but_keeps_ratings(sessions: sessionmaker[Session], world: int) -> None:
    with sessions.begin() as s:
        s.execute(
            Feedback.__table__.update()
            .where(Feedback.author_id == LEAVER)
            .values(missing_text="They always ask about SSO", objections_text="Too pricey")
        )
    before = numbers(sessions, world)
    with sessions.begin() as s:
        delete_user(s, world, LEAVER, erase_text=True)
    after = numbers(sessions, world)
    assert after[0] == before[0] and after[1] == before[1], "every persona's numbers and response rates stay"
    assert after[2][1] < before[2][1], "fewer comments"
    with sessions.begin() as s:
        texts = s.execute(select(Feedback.missing_text, Feedback.objections_text).where(Feedback.author_id != LEAVER))
        assert ("They always ask about SSO", "Too pricey") not in list(texts)


def test_unknown_people_are_refused(sessions: sessionmaker[Session], world: int) -> None:
    with sessions.begin() as s, pytest.raises(UserNotFound, match="nothing about U0NOBODY"):
        export_user(s, world, "U0NOBODY")
    with sessions.begin() as s, pytest.raises(UserNotFound):
        delete_user(s, world, "U0NOBODY")
    with sessions.begin() as s:
        delete_user(s, world, LEAVER)
    with sessions.begin() as s, pytest.raises(UserNotFound):
        delete_user(s, world, LEAVER)
