"""A hand-checkable outcomes world: three personas, their fit, and deal exports in each CRM's shape.

2026-Q3 (previous quarter 2026-Q2), deals by close date:
- Marketing Director Mary (owner U0MARYOWN): fit 4, 4, 4, 5, 5, 4 -> 4.33 (6 ratings). Q2: 5 won of 10 (50%).
  Q3: 2 won of 10 (20%); lost 8: 5 at Evaluation, 2 at Proposal, 1 with no stage; reasons: Price x4, Timing x3,
  none x1. Won cycles 30 and 50 days -> median 40; amounts 10,000 and 20,000 -> median 15,000.
  Feedback names deals: 4, 4, 4 on won deals; 5, 5, 4 on lost deals -> won 4.00 (n=3), lost 4.67 (n=3).
- Ops Omar: two "haven't met" answers, no rating. Q3: 6 won of 8 (75%); cycles 10..60 -> median 35.
- Finance Fiona: fit 2, 2, 2. Q3: 5 won of 6 (83%); cycles 5, 15, 25, 35, 100 -> median 25.
- Two deals name "Procurement Pete" (no such persona): kept without a persona, counted in the totals.
- Q3 totals: 14 won of 26 closed (54%); Omar is on 6 of 14 won deals (43%).
- Four of Mary's deals name "Marketing Directer Mary" (a typo: matched).
Campaigns: Mary Q2 1,000 sent, 300 opened, 100 clicked, 40 converted; Q3 1,000 sent, 250 opened, 80 clicked,
15 converted (conversion 4.0% -> 1.5%).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from persona_store.models import Feedback, Persona, RosterMember, Workspace

MARY, OMAR, FIONA = "Marketing Director Mary", "Ops Omar", "Finance Fiona"
OWNER = "U0MARYOWN"
MANAGER = "U0MGR"
REP = "U0REP1"
Q3_DAY = datetime(2026, 8, 14, 15, 45, tzinfo=UTC)


@dataclass(frozen=True)
class DealRow:
    deal_id: str
    persona: str
    outcome: str  # won | lost | open
    created: date
    closed: date | None
    amount: float | None = None
    stage: str = ""  # the stage a lost deal dropped off at
    reason: str = ""


def _won(deal_id: str, persona: str, closed: date, cycle: int, amount: float) -> DealRow:
    return DealRow(deal_id, persona, "won", closed - timedelta(days=cycle), closed, amount)


def _lost(deal_id: str, persona: str, closed: date, stage: str, reason: str) -> DealRow:
    return DealRow(deal_id, persona, "lost", closed - timedelta(days=20), closed, 5000, stage, reason)


def deal_rows() -> list[DealRow]:
    q2, q3 = date(2026, 5, 15), date(2026, 8, 20)
    rows: list[DealRow] = []
    for i in range(5):
        rows.append(_won(f"OPP-M2W{i}", MARY, q2, 30, 12000))
        rows.append(_lost(f"OPP-M2L{i}", MARY, q2, "Proposal", "Price"))
    rows.append(_won("OPP-MW1", MARY, q3, 30, 10000))
    rows.append(_won("OPP-MW2", "Marketing Directer Mary", q3, 50, 20000))
    lost_stages = ["Evaluation"] * 5 + ["Proposal"] * 2 + [""]
    reasons = ["Price"] * 4 + ["Timing"] * 3 + [""]
    for i, (stage, reason) in enumerate(zip(lost_stages, reasons, strict=True)):
        persona = "Marketing Directer Mary" if i < 3 else MARY
        rows.append(_lost(f"OPP-ML{i}", persona, q3, stage, reason))
    for i, cycle in enumerate([10, 20, 30, 40, 50, 60]):
        rows.append(_won(f"OPP-OW{i}", OMAR, q3, cycle, 8000 + i))
    rows.append(_lost("OPP-OL0", OMAR, q3, "Evaluation", "Timing"))
    rows.append(_lost("OPP-OL1", OMAR, q3, "Demo", "Price"))
    for i, cycle in enumerate([5, 15, 25, 35, 100]):
        rows.append(_won(f"OPP-FW{i}", FIONA, q3, cycle, 3000))
    rows.append(_lost("OPP-FL0", FIONA, q3, "Demo", "Champion left"))
    rows.append(DealRow("OPP-OPEN1", FIONA, "open", date(2026, 8, 1), None, 900, "Demo"))
    rows.append(_won("OPP-P1", "Procurement Pete", q3, 12, 700))
    rows.append(_lost("OPP-P2", "Procurement Pete", q3, "Demo", "Price"))
    return rows


def write_hubspot(path: Path, rows: list[DealRow] | None = None) -> Path:
    """HubSpot's deal export: `,`, ISO timestamps, outcome in the stage, drop-off in a custom property."""
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(
            [
                "Record ID",
                "Deal Name",
                "Deal Stage",
                "Amount",
                "Create Date",
                "Close Date",
                "Closed Lost Reason",
                "Last Stage Before Lost",
                "Deal owner",
                "Persona",
            ]
        )
        for r in rows if rows is not None else deal_rows():
            stage = {"won": "Closed Won", "lost": "Closed Lost"}.get(r.outcome, r.stage)
            w.writerow(
                [
                    r.deal_id,
                    f"Deal {r.deal_id}",
                    stage,
                    "" if r.amount is None else f"{r.amount:.2f}",
                    f"{r.created.isoformat()} 09:30",
                    r.closed.isoformat() if r.closed else "",
                    r.reason,
                    r.stage if r.outcome == "lost" else "",
                    "Sam",
                    r.persona,
                ]
            )
    return path


def write_salesforce(path: Path, rows: list[DealRow] | None = None) -> Path:
    """Salesforce's opportunity report, European style: `;`, DD.MM.YYYY, decimal comma, Won/Closed flags."""
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, delimiter=";")
        w.writerow(
            [
                "Opportunity ID",
                "Opportunity Name",
                "Stage",
                "Amount",
                "Created Date",
                "Close Date",
                "Won",
                "Closed",
                "Loss Reason",
                "Persona",
            ]
        )
        for r in rows if rows is not None else deal_rows():
            w.writerow(
                [
                    r.deal_id,
                    f"Opportunity {r.deal_id}",
                    {"won": "Closed Won"}.get(r.outcome, r.stage),
                    "" if r.amount is None else f"{r.amount:,.2f}".replace(",", " ").replace(".", ","),
                    r.created.strftime("%d.%m.%Y"),
                    r.closed.strftime("%d.%m.%Y") if r.closed else "",
                    "true" if r.outcome == "won" else "false",
                    "true" if r.outcome != "open" else "false",
                    r.reason,
                    r.persona,
                ]
            )
    return path


def write_campaigns(path: Path) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["Campaign", "Persona", "Date", "Sent", "Opened", "Clicked", "Converted"])
        # Q2 in two daily rows (added up), Q3 in one.
        w.writerow(["Spring nurture", MARY, "2026-04-10", 600, 200, 60, 25])
        w.writerow(["Spring nurture", MARY, "2026-05-10", 400, 100, 40, 15])
        w.writerow(["Summer launch", "marketing-director-mary", "2026-Q3", 1000, 250, 80, 15])
        w.writerow(["Summer launch", "Procurement Pete", "2026-Q3", 50, 5, 1, 0])
    return path


@dataclass
class World:
    workspace_id: int
    team_id: str
    personas: dict[str, int]


def seed_personas(sessions: sessionmaker[Session], team_id: str = "T0OUT") -> World:
    with sessions.begin() as s:
        workspace = s.query(Workspace).filter_by(team_id=team_id).one_or_none()
        if workspace is None:
            workspace = Workspace(team_id=team_id, name="Outcomes Co")
            s.add(workspace)
            s.flush()
        ws = workspace.id
        s.add(RosterMember(workspace_id=ws, slack_user_id=MANAGER, name="Mia Manager", role="sales", is_manager=True))
        s.add(RosterMember(workspace_id=ws, slack_user_id=REP, name="Rick Rep", role="sales"))
        personas: dict[str, int] = {}
        for name, role, owner in (
            (MARY, "Marketing Director", OWNER),
            (OMAR, "Operations", None),
            (FIONA, "CFO", None),
        ):
            p = Persona(
                workspace_id=ws,
                key=name.lower().replace(" ", "-"),
                name=name,
                name_folded=name.casefold(),
                role=role,
                owner=owner,
                goals=["Grow pipeline"],
            )
            s.add(p)
            s.flush()
            personas[name] = p.id
    return World(ws, team_id, personas)


def seed_feedback(sessions: sessionmaker[Session], world: World) -> None:
    counter = iter(range(1, 10_000))
    with sessions.begin() as s:

        def fb(persona: str, fit: int | None, ref: str = "") -> None:
            n = next(counter)
            s.add(
                Feedback(
                    workspace_id=world.workspace_id,
                    persona_id=world.personas[persona],
                    revision_number=1,
                    submission_key=f"o{n}",
                    author_id=f"{REP}{n}",  # one person each: figures count people, not records
                    author_role="sales",
                    source="adhoc",
                    fit=fit,
                    not_met=fit is None,
                    evidence_ref=ref,
                    created_at=Q3_DAY,
                    updated_at=Q3_DAY,
                )
            )

        fb(MARY, 4, "OPP-MW1")
        fb(MARY, 4, "call about opp-mw1 on Tuesday")
        fb(MARY, 4, "https://example.my.salesforce.com/lightning/r/Opportunity/OPP-MW2/view")
        fb(MARY, 5, "OPP-ML0")
        fb(MARY, 5, "OPP-ML1, OPP-ML2")
        fb(MARY, 4, "OPP-ML3")
        fb(OMAR, None)
        fb(OMAR, None, "OPP-UNKNOWN-99")
        for _ in range(3):
            fb(FIONA, 2)


def seed_world(sessions: sessionmaker[Session], team_id: str = "T0OUT") -> World:
    world = seed_personas(sessions, team_id)
    seed_feedback(sessions, world)
    return world
