"""One seeded world for the evidence model and the consistency test, built through the real stores.

2026-Q4 (NOW is 28 Nov 2026; previous quarter 2026-Q3), persona "Marketing Director Mary":
- U0MGR (sales manager) rated her three times ad hoc / by shortcut: 2, 3, then 4 -> her view is 4 (repeat rater).
- U0SALES1 rated 3 ad hoc, then 5 in the check-in -> 5 (a check-in answer overriding an ad-hoc one).
- U0SALES2 answered 3 in the check-in and edited it to 4 -> 4 (an edited answer).
- U0SUCC1 answered 2 in the check-in; U0SUCC2 rated 1 ad hoc; U0SUCC3 hasn't met her.
  People: sales 4, 5, 4 (mean 4.33, n 3); success 2, 1 (mean 1.50, n 2) -> gap 2.83: contested (two roles
  disagree). Overall 4, 5, 4, 2, 1 -> mean 3.20 from 5 people; 6 people with a view, 1 hasn't met (17 %).
  Counting records instead would give (2+3+4+3+5+4+2+1) / 8 = 3.00 from 8 ratings.
- "Too many tools", latest verdict per person: matches (U0MGR, U0SALES1), partly (U0SALES2), doesn't (U0SUCC1,
  U0SUCC2) -> (2 + 0.5) / 5 = 50 %.
- 2026-Q3: U0MGR 2, U0SALES1 2 -> previous 2.00, change +1.20. 2026-Q2: 5, 4, 4 from three sales reps -> mean 4.33,
  validated -> last validated 30 Jun 2026.
- Reviews: reviewed and revised 1 Mar 2026 -> review due (182 days).

"Startup Sid": one rater (U0SALES1, 5) -> not enough data; reviewed ("Still accurate") on 1 Nov 2026, last
revised 1 Feb 2026 -> not due.

Round 2026-Q4 (closed): U0SALES1, U0SALES2, U0SUCC1 answered; U0ONB1 skipped; U0ONB2 unreachable; U0SUCC2 asked
and silent -> answered ÷ (asked − skipped) = 3 ÷ (6 − 1) = 60 %.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from persona_store.checkins import Assignment, assign, close_round, open_round
from persona_store.evidence import Fit, PersonaEvidence, RoleEvidence, StatementAgreement, Verdict, VerdictCounts
from persona_store.feedback import FeedbackAnswers, checkin_submission_key, record_feedback
from persona_store.models import Participation, Persona, RosterMember
from persona_store.persona_spec import PersonaSpec
from persona_store.personas import apply_persona, record_review
from persona_store.workspaces import ensure_workspace

TEAM = "T0TRUTH"
NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
QUARTER = "2026-Q4"
MARY = "Marketing Director Mary"
SID = "Startup Sid"
OWNER = "U0OWNER"
MANAGER = "U0MGR"

REPS = {
    "U0MGR": ("Mona Manager", "sales", True),
    "U0SALES1": ("Sam Sales", "sales", False),
    "U0SALES2": ("Sara Sales", "sales", False),
    "U0SUCC1": ("Cathy Success", "success", False),
    "U0SUCC2": ("Chris Success", "success", False),
    "U0SUCC3": ("Cora Success", "success", False),
    "U0ONB1": ("Olga Onboarding", "onboarding", False),
    "U0ONB2": ("Omar Onboarding", "onboarding", False),
}

# What every surface must print for Mary in 2026-Q4.
MARY_FIT = 3.2
MARY_PEOPLE_RATED = 5
MARY_PEOPLE = 6
MARY_SALES = (4.333, 3)
MARY_SUCCESS = (1.5, 2)
MARY_AGREEMENT = 0.5
MARY_PREVIOUS = 2.0
RESPONSE = (3, 6, 1)  # answered, asked, skipped -> 60 %


def at(month: int, day: int, hour: int = 10) -> datetime:
    return datetime(2026, month, day, hour, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Truth:
    workspace_id: int
    team_id: str
    mary: int
    sid: int
    round_id: int


def seed_truth(sessions: sessionmaker[Session], team_id: str = TEAM) -> Truth:
    with sessions.begin() as s:
        ws = ensure_workspace(s, team_id).id
        for user_id, (name, role, manager) in REPS.items():
            s.add(RosterMember(workspace_id=ws, slack_user_id=user_id, name=name, role=role, is_manager=manager))
        mary = apply_persona(
            s,
            ws,
            PersonaSpec(
                name=MARY,
                key="marketing-director-mary",
                role="Marketing Director",
                summary="Runs marketing at a mid-size company.",
                goals=("Grow pipeline",),
                pain_points=("Too many tools",),
                owner=OWNER,
            ),
            author="import",
            now=at(3, 1),
        ).persona
        sid = apply_persona(
            s,
            ws,
            PersonaSpec(name=SID, key="startup-sid", role="Founder", pain_points=("No time",), owner=OWNER),
            author="import",
            now=at(2, 1),
        ).persona
        record_review(s, ws, sid.id, OWNER, "accurate", now=at(11, 1))
        mary_id, sid_id = mary.id, sid.id
        s.execute(update(Persona).where(Persona.id == mary_id).values(reviewed_at=at(3, 1)))
        round_, _ = open_round(s, ws, QUARTER, date(2026, 11, 20), at(11, 2))
        round_id = round_.id

        serial = iter(range(1, 1000))

        def rate(
            persona: int,
            author: str,
            fit: int | None,
            when: datetime,
            verdict: str | None = None,
            source: str = "adhoc",
            *,
            checkin: bool = False,
        ) -> None:
            answers = FeedbackAnswers(
                persona_id=persona,
                revision_number=1,
                role=REPS[author][1],
                fit=fit,
                not_met=fit is None,
                verdicts={1: verdict} if verdict and persona == mary_id else ({0: verdict} if verdict else {}),
            )
            record_feedback(
                s,
                ws,
                answers,
                submission_key=checkin_submission_key(round_id, persona, author) if checkin else f"t{next(serial)}",
                author_id=author,
                source="checkin" if checkin else source,
                round_id=round_id if checkin else None,
                replace=checkin,
                now=when,
            )

        # 2026-Q2: validated (three sales people, mean 4.33).
        rate(mary_id, "U0MGR", 5, at(5, 5))
        rate(mary_id, "U0SALES1", 4, at(5, 6))
        rate(mary_id, "U0SALES2", 4, at(5, 7))
        # 2026-Q3: two people.
        rate(mary_id, "U0MGR", 2, at(8, 5))
        rate(mary_id, "U0SALES1", 2, at(8, 6))
        # 2026-Q4.
        rate(mary_id, "U0MGR", 2, at(10, 5), "doesnt")
        rate(mary_id, "U0MGR", 3, at(10, 20))
        rate(mary_id, "U0MGR", 4, at(11, 2), "matches", source="shortcut")
        rate(mary_id, "U0SALES1", 3, at(10, 10), "partly")
        rate(mary_id, "U0SALES1", 5, at(11, 10), "matches", checkin=True)
        rate(mary_id, "U0SALES2", 3, at(11, 8), "matches", checkin=True)
        rate(mary_id, "U0SALES2", 4, at(11, 12), "partly", checkin=True)  # the edit
        rate(mary_id, "U0SUCC1", 2, at(11, 9), "doesnt", checkin=True)
        rate(mary_id, "U0SUCC2", 1, at(10, 15), "doesnt")
        rate(mary_id, "U0SUCC3", None, at(10, 16))
        rate(sid_id, "U0SALES1", 5, at(10, 11))

        assign(
            s,
            round_id,
            [
                Assignment(user, REPS[user][1], "UTC", "user_disabled" if user == "U0ONB2" else None)
                for user in ("U0SALES1", "U0SALES2", "U0SUCC1", "U0SUCC2", "U0ONB1", "U0ONB2")
            ],
            now=at(11, 2),
        )
        sent = {"sent_at": at(11, 3)}
        for user, values in {
            "U0SALES1": {**sent, "answered_at": at(11, 10)},
            "U0SALES2": {**sent, "answered_at": at(11, 8)},
            "U0SUCC1": {**sent, "answered_at": at(11, 9)},
            "U0SUCC2": {**sent, "reminder_count": 2},
            "U0ONB1": {**sent, "skipped_at": at(11, 4), "skip_reason": "on_leave"},
        }.items():
            s.execute(
                update(Participation)
                .where(Participation.round_id == round_id, Participation.slack_user_id == user)
                .values(**values)
            )
        close_round(s, ws, round_id, at(11, 21))
        return Truth(ws, team_id, mary_id, sid_id, round_id)


def sample_evidence(name: str = MARY, statement: str = "Too many tools", persona_id: int = 7) -> PersonaEvidence:
    """A hand-made PersonaEvidence for builder tests (no database): two roles, one statement."""
    from persona_store.quarters import parse_period

    period = parse_period(QUARTER)
    tools = StatementAgreement(persona_id, "pain_point", statement, 1, VerdictCounts(2, 1, 2, 0), {})
    return PersonaEvidence(
        persona_id=persona_id,
        key="mary",
        name=name,
        status="active",
        owner=OWNER,
        period=period,
        people=6,
        fit=Fit.of(5, 16, 62),
        not_met=1,
        by_role={
            "sales": RoleEvidence("sales", 3, Fit.of(3, 13, 57), 0),
            "success": RoleEvidence("success", 3, Fit.of(2, 3, 5), 1),
        },
        statements=(tools,),
        agreement=0.5,
        role_gap=13 / 3 - 1.5,
        verdict=Verdict.CONTESTED,
        previous=Fit.of(2, 4, 8),
        sources={"adhoc": 2, "checkin": 3, "shortcut": 1},
        last_reviewed_at=at(3, 1),
        review_due=True,
        last_validated=date(2026, 6, 30),
        last_validated_quarter="2026-Q2",
    )
