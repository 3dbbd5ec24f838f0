"""A small, hand-checkable world for report tests: four personas, five reps, two quarters, one round.

The numbers every report test asserts follow from this file; the expected values are spelled out next to them.

2026-Q3 (previous quarter 2026-Q2):
- Alpha: fits 5, 4 (sales), 4 (success), 5 (onboarding, given in the Q3 round but on 2 Oct) -> mean 4.50;
  only sales has two ratings, so no disagreement; pain point "Too many tools": 3 matches + 1 partly -> 87.5 %;
  Q2: sales 3, 3 -> previous mean 3.00, change +1.50 -> validated.
- Bravo: sales 5, 5; success 2, 3 -> sales 5.00, success 2.50, gap 2.50 -> contested; mean 3.75.
- Charlie: 3 (sales), 3 (success), 4 (onboarding), and one "haven't met" (sales) -> mean 3.33, 25 % haven't met
  -> needs review; carries the hostile free text.
- Delta: one rating (5) -> not enough data; last revised eight months ago -> review overdue.
- Round 2026-Q3: U0SALES1 answered, U0SALES2 answered, U0SUCC1 skipped (no_customer_contact), U0ONB1 sent and
  reminded twice, U0SUCC2 unreachable (user_disabled) -> 2 / 5 = 40 % response.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy.orm import Session, sessionmaker

from persona_store.models import (
    AttributeCheck,
    CheckinRound,
    Feedback,
    Participation,
    Persona,
    RosterMember,
    Workspace,
)

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
Q2_DAY = datetime(2026, 5, 10, 9, 30, tzinfo=UTC)
Q3_DAY = datetime(2026, 8, 14, 15, 45, tzinfo=UTC)
LATE_IN_ROUND = datetime(2026, 10, 2, 8, 0, tzinfo=UTC)

HOSTILE_MISSING = '=HYPERLINK("http://evil.example","click")'
HOSTILE_OBJECTION = "+1-2 they said @SUM(A1)"
HOSTILE_EVIDENCE = "-2+3"
CONTROL_TEXT = "bell\x07 and\x1b escape\x0b"  # PostgreSQL refuses NUL, so no \x00 here
LONG_TEXT = "x" * 40_000

REPS = {
    "U0SALES1": ("Sam Sales", "sales", True),
    "U0SALES2": ("Sara Sales", "sales", False),
    "U0SUCC1": ("Cathy Success", "success", False),
    "U0SUCC2": ("Chris Success", "success", False),
    "U0ONB1": ("Olga Onboarding", "onboarding", False),
}
MANAGER = "U0SALES1"


@dataclass
class Seeded:
    workspace_id: int
    team_id: str
    personas: dict[str, int]
    round_id: int


def _persona(s: Session, workspace_id: int, name: str, revised_at: datetime) -> Persona:
    persona = Persona(
        workspace_id=workspace_id,
        key=name.lower(),
        name=name,
        name_folded=name.lower(),
        role="Buyer",
        pain_points=["Too many tools"],
        goals=["Grow revenue"],
        revised_at=revised_at,
        created_at=revised_at,
        reviewed_at=revised_at,
    )
    s.add(persona)
    s.flush()
    return persona


def seed_world(sessions: sessionmaker[Session], team_id: str = "T0REPORT", with_round: bool = True) -> Seeded:
    counter = iter(range(1, 10_000))
    with sessions.begin() as s:
        workspace = s.query(Workspace).filter_by(team_id=team_id).one_or_none()
        if workspace is None:
            workspace = Workspace(team_id=team_id, name="Report Co")
            s.add(workspace)
            s.flush()
        ws = workspace.id
        for user_id, (name, role, manager) in REPS.items():
            s.add(RosterMember(workspace_id=ws, slack_user_id=user_id, name=name, role=role, is_manager=manager))
        recent = datetime(2026, 9, 1, tzinfo=UTC)
        personas = {
            "Alpha": _persona(s, ws, "Alpha", recent),
            "Bravo": _persona(s, ws, "Bravo", recent),
            "Charlie": _persona(s, ws, "Charlie", recent),
            "Delta": _persona(s, ws, "Delta", datetime(2026, 3, 20, tzinfo=UTC)),
        }
        round_ = CheckinRound(workspace_id=ws, quarter="2026-Q3", status="closed", due_date=date(2026, 7, 20))
        s.add(round_)
        s.flush()

        def fb(persona: str, author: str, fit: int | None, when: datetime = Q3_DAY, **extra: object) -> Feedback:
            feedback = Feedback(
                workspace_id=ws,
                persona_id=personas[persona].id,
                revision_number=1,
                submission_key=f"k{next(counter)}",
                author_id=author,
                author_role=REPS[author][1],
                fit=fit,
                not_met=fit is None,
                created_at=when,
                updated_at=when,
                **{"source": "adhoc", **extra},
            )
            s.add(feedback)
            s.flush()
            return feedback

        def check(feedback: Feedback, verdict: str) -> None:
            s.add(
                AttributeCheck(
                    feedback_id=feedback.id, position=0, kind="pain_point", text="Too many tools", verdict=verdict
                )
            )

        check(fb("Alpha", "U0SALES1", 5), "matches")
        check(fb("Alpha", "U0SALES2", 4), "matches")
        check(fb("Alpha", "U0SUCC1", 4), "partly")
        late = fb("Alpha", "U0ONB1", 5, LATE_IN_ROUND, round_id=round_.id if with_round else None, source="checkin")
        check(late, "matches")
        fb("Alpha", "U0SALES1", 3, Q2_DAY)
        fb("Alpha", "U0SALES2", 3, Q2_DAY)

        fb("Bravo", "U0SALES1", 5)
        fb("Bravo", "U0SALES2", 5)
        check(fb("Bravo", "U0SUCC1", 2), "doesnt")
        check(fb("Bravo", "U0SUCC2", 3), "not_seen")

        fb("Charlie", "U0SALES1", 3, missing_text=HOSTILE_MISSING, objections_text=HOSTILE_OBJECTION)
        fb("Charlie", "U0SUCC1", 3, evidence_ref=HOSTILE_EVIDENCE, evidence_permalink="https://x.slack.com/p1")
        fb("Charlie", "U0ONB1", 4, missing_text=CONTROL_TEXT)
        fb("Charlie", "U0SALES2", None, objections_text=LONG_TEXT)

        fb("Delta", "U0SALES1", 5)

        def part(user: str, **fields: object) -> None:
            s.add(Participation(round_id=round_.id, slack_user_id=user, role=REPS[user][1], timezone="UTC", **fields))

        if with_round:
            part("U0SALES1", sent_at=Q3_DAY, answered_at=Q3_DAY)
            part("U0SALES2", sent_at=Q3_DAY, answered_at=Q3_DAY)
            part("U0SUCC1", sent_at=Q3_DAY, skipped_at=Q3_DAY, skip_reason="no_customer_contact")
            part("U0ONB1", sent_at=Q3_DAY, reminder_count=2, last_reminded_at=Q3_DAY)
            part("U0SUCC2", unreachable_at=Q3_DAY, unreachable_reason="user_disabled")
        return Seeded(ws, team_id, {name: p.id for name, p in personas.items()}, round_.id)
