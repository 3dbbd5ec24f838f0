"""Demo scene: a manager asks for the persona report in Slack and gets the workbook in a DM.

A fresh demo has only the few answers the earlier scenes gave, so this scene first records a quarter's worth of
earlier answers from the demo roster (this quarter and the one before), then plays the manager.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bot.render import render_part
from persona_store.models import AttributeCheck, Feedback, utcnow
from persona_store.personas import list_personas
from persona_store.quarters import current_quarter
from persona_store.roster import list_roster

if TYPE_CHECKING:
    from bot.demo import DemoWorld

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


def scene_manager_downloads_the_report(world: DemoWorld) -> None:
    manager = world.person_by_role("sales", manager=True)
    recorded = seed_history(world)
    world.echo("")
    world.echo(f"  (the demo records {recorded} earlier answers from the team, so the report has a story to tell)")
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


REPORT_SCENES = [scene_manager_downloads_the_report]
