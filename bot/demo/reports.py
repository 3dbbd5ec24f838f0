"""Demo scenes: the team's earlier answers, and a manager asking for the persona report in Slack.

A fresh demo has only the few answers its scenes give, so `scene_team_history` first records a quarter's worth of
earlier answers from the demo roster (this quarter and the one before), before the check-in round and the Home
tab: every figure the demo shows later (the round summary, Home, the workbook) describes answers that already exist,
and the last scene prints Mary's fit from all three to show they agree.
"""

from __future__ import annotations

import io
import json
import re
from datetime import datetime, timedelta
from typing import Any

import openpyxl

from bot.demo.world import TEAM_ID, DemoWorld
from bot.render import render_part
from persona_store.models import AttributeCheck, Feedback, utcnow
from persona_store.personas import list_personas
from persona_store.quarters import current_quarter
from persona_store.roster import list_roster

MANAGER_CHANNEL = "C0MANAGERS"

# persona name -> ratings this quarter by roster role (one per rep of that role, in roster order)
THIS_QUARTER = {
    "Marketing Director Mary": {"sales": [5, 4], "success": [4, 5], "onboarding": [5]},
    "Finance Fiona": {"sales": [5, 5], "success": [2, 2], "onboarding": [3]},
    "RevOps Rick": {"sales": [3, 4], "success": [3], "onboarding": [3]},
    "IT Admin Ivan": {"success": [4]},
}
LAST_QUARTER = {
    "Marketing Director Mary": {"sales": [3, 4], "success": [4]},
    "Finance Fiona": {"sales": [4], "success": [4, 3]},
    "RevOps Rick": {"sales": [4, 4], "onboarding": [4]},
}


def seed_history(world: DemoWorld, now: datetime | None = None) -> int:
    """Earlier answers from the demo roster; returns how many were recorded."""
    now = now or utcnow()
    this_quarter = current_quarter(now)
    moments = {
        "this": max(this_quarter.start_at, now - timedelta(days=2)),
        "last": this_quarter.previous().start_at + timedelta(days=20),
    }
    recorded = 0
    with world.services.sessions.begin() as s:
        personas = {p.name: p for p in list_personas(s, world.workspace_id)}
        by_role: dict[str, list[str]] = {}
        for member in list_roster(s, world.workspace_id):
            by_role.setdefault(member.role, []).append(member.slack_user_id)
        for when, plan in (("this", THIS_QUARTER), ("last", LAST_QUARTER)):
            for name, ratings in plan.items():
                persona = personas.get(name)
                if persona is None:
                    continue
                for role, fits in ratings.items():
                    for author, fit in zip(by_role.get(role, []), fits, strict=False):
                        feedback = Feedback(
                            workspace_id=world.workspace_id,
                            persona_id=persona.id,
                            revision_number=persona.revision_number,
                            submission_key=f"demo-history-{when}-{persona.id}-{author}",
                            author_id=author,
                            author_role=role,
                            source="adhoc",
                            fit=fit,
                            missing_text="Budget approval now needs the CFO" if fit <= 2 else "",
                            created_at=moments[when],
                            updated_at=moments[when],
                        )
                        # Two attributes checked: the better the fit, the more of them hold.
                        for position, (kind, text) in enumerate(persona.attributes()[:2]):
                            verdict = "matches" if fit >= 4 else "partly" if fit == 3 else "doesnt"
                            feedback.attribute_checks.append(
                                AttributeCheck(position=position, kind=kind, text=text, verdict=verdict)
                            )
                        s.add(feedback)
                        recorded += 1
    return recorded


def scene_team_history(world: DemoWorld) -> None:
    recorded = seed_history(world)
    world.echo("")
    world.echo(f"  (the demo records {recorded} earlier answers from the team, so the figures have a story to tell)")


def scene_manager_downloads_the_report(world: DemoWorld) -> None:
    manager = world.person_by_role("sales", manager=True)
    world.act(manager, "types `/persona report` in #managers")
    before = len(world.standin.uploads())
    reply = world.client.command("report", user_id=manager, channel_id=MANAGER_CHANNEL)
    world.show("only they see, at once", reply.json())
    upload = world.standin.wait_for(lambda: world.standin.uploads()[before:], timeout=60)[0]
    world.show("in their DM, with the file attached", {"text": upload.initial_comment or ""})
    path = world.out_dir / upload.filename
    path.write_bytes(upload.content)
    headline = (upload.initial_comment or "").partition(": ")[2].rstrip(".")
    world.echo("")
    world.echo(render_part("reports", "demo_written", path, headline))
    world.notes.append(f"The managers' workbook is {path}")
    world.echo(render_part("reports", "demo_one_figure", MARY, *mary_everywhere(world, manager, upload.content)))


MARY = "Marketing Director Mary"


def mary_everywhere(world: DemoWorld, manager: str, workbook: bytes) -> tuple[str, str, str]:
    """Mary's fit as the manager's Home tab, the round summary and the workbook's Summary sheet print it."""

    def fit_in(text: str) -> str:
        start = text.find(f"*{MARY}*: ")
        found = re.search(r"Fit (\S+/5(?: ± \S+)? from \d+ people?)", text[start:]) if start >= 0 else None
        return found.group(1) if found else "not shown"

    home_view = world.standin.home_view(TEAM_ID, manager) or {}
    home = json.dumps(home_view.get("blocks", []), ensure_ascii=False)
    home = home[home.find("check-in response rate") :]  # the quarter at a glance, not the manager's own feedback
    summary: dict[str, Any] = next((m for m in reversed(world.standin.messages()) if "results" in m["text"]), {})
    rows = list(openpyxl.load_workbook(io.BytesIO(workbook))["Summary"].iter_rows(values_only=True))
    header = next(i for i, row in enumerate(rows) if row and row[0] == "Persona")
    row = dict(zip(rows[header], next(r for r in rows[header + 1 :] if r and r[0] == MARY), strict=False))
    mean, n, margin = row["Mean fit (1–5)"], row["People who rated (n)"], row["± (90 % interval)"]
    shown = isinstance(mean, int | float) and isinstance(margin, int | float)
    in_workbook = f"{mean:.1f}/5 ± {margin:.1f} from {n} people" if shown else "not shown"
    return fit_in(home), fit_in(json.dumps(summary.get("blocks", []), ensure_ascii=False)), in_workbook


HISTORY_SCENES = [scene_team_history]
REPORT_SCENES = [scene_manager_downloads_the_report]
