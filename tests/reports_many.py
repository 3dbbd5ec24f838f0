"""A busy workspace for layout tests: 20 personas with long names and statements, four roles, free text."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy.orm import Session, sessionmaker

from persona_store.models import AttributeCheck, CheckinRound, Feedback, Persona, RosterMember, Workspace

TEAM = "T0MANY"
NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
Q3 = datetime(2026, 8, 14, 15, 45, tzinfo=UTC)
Q2 = datetime(2026, 5, 10, 9, 30, tzinfo=UTC)

NAMES = [
    "Marketing Director Mary",
    "Procurement Lead Priya of the Enterprise Buying Committee",
    "IT Administrator Ian",
    "Chief Financial Officer Fiona",
    "Operations Manager Omar",
    "Head of Customer Experience Chloe",
    "Startup Founder Sam",
    "Regional Sales VP Victor",
    "Compliance Officer Carla",
    "Data Analyst Dev",
    "HR Business Partner Hana",
    "Product Manager Pat",
    "Agency Owner Alex",
    "Nonprofit Programme Director Nadia",
    "Security Architect Sergei",
    "E-commerce Manager Emma",
    "University Registrar Ruth",
    "Field Service Supervisor Frank",
    "Healthcare Practice Manager Helen",
    "Small Business Owner Bo",
]
STATEMENTS = [
    "Needs to prove the return on every marketing dollar to a sceptical board within the first two quarters",
    "Spends too much time stitching together reports from five different tools that don't talk to each other",
    "Worried that switching vendors will disrupt a team that is already stretched thin before the busy season",
]
MISSING = [
    "Pricing for small teams",
    "Price is too high for small teams",
    "SSO and SAML before they sign",
    "Needs SSO",
    "Integration with Salesforce",
]
OBJECTIONS = ["Too expensive", "Security review takes months", "Too expensive for us this year"]
REPS = [(f"U0REP{i:02d}", f"Rep {i}", ("sales", "success", "onboarding", "marketing")[i % 4]) for i in range(1, 9)]


def seed_many(sessions: sessionmaker[Session], count: int = 20) -> int:
    """`count` personas with ratings from eight reps; returns the workspace id."""
    with sessions.begin() as s:
        ws = Workspace(team_id=TEAM, name="Many Co")
        s.add(ws)
        s.flush()
        for user, name, role in REPS:
            s.add(
                RosterMember(
                    workspace_id=ws.id, slack_user_id=user, name=name, role=role, is_manager=user.endswith("1")
                )
            )
        round_ = CheckinRound(workspace_id=ws.id, quarter="2026-Q3", status="closed", due_date=date(2026, 7, 20))
        s.add(round_)
        s.flush()
        serial = 0
        for index in range(count):
            name = NAMES[index % len(NAMES)] + ("" if index < len(NAMES) else f" {index}")
            revised = datetime(2026, 9, 1, tzinfo=UTC)
            persona = Persona(
                workspace_id=ws.id,
                key=f"p{index}",
                name=name,
                name_folded=name.casefold(),
                role="Buyer",
                pain_points=STATEMENTS,
                revised_at=revised,
                created_at=revised,
                reviewed_at=revised,
            )
            s.add(persona)
            s.flush()
            for r, (user, _, role) in enumerate(REPS[: 2 + index % 6]):
                for when in (Q2, Q3) if r % 2 else (Q3,):
                    serial += 1
                    fb = Feedback(
                        workspace_id=ws.id,
                        persona_id=persona.id,
                        round_id=round_.id if when == Q3 else None,
                        revision_number=1,
                        submission_key=f"m{serial}",
                        author_id=user,
                        author_role=role,
                        source=("adhoc", "shortcut", "checkin")[serial % 3],
                        journey_stage=("evaluation", "renewal", None)[serial % 3],
                        fit=1 + (index * 3 + r) % 5,
                        missing_text=MISSING[(index + r) % len(MISSING)] if r % 3 == 0 else "",
                        objections_text=OBJECTIONS[(index + r) % len(OBJECTIONS)] if r % 2 == 0 else "",
                        created_at=when,
                        updated_at=when,
                    )
                    s.add(fb)
                    s.flush()
                    for position, text in enumerate(STATEMENTS):
                        verdict = ("matches", "partly", "doesnt", "not_seen")[(index + r + position) % 4]
                        s.add(
                            AttributeCheck(
                                feedback_id=fb.id, position=position, kind="pain_point", text=text, verdict=verdict
                            )
                        )
        return ws.id
