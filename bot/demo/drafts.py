"""Demo scene: the evidence proposes a revision, and Mary's owner accepts it from their Home tab.

Five of the front line said one of Mary's pain points doesn't match. Her owner's Home shows the draft with what
they wrote; Accept opens the edit form with the change note already citing the evidence; the owner rewords the
statement and saves; `/persona history` links the revision to that evidence, and the new wording starts afresh.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import click

from bot import ids
from bot.blocks.edit import action_id as edit_action
from bot.demo.world import DemoWorld
from persona_store.evidence import persona_evidence
from persona_store.models import AttributeCheck, Feedback, utcnow
from persona_store.personas import get_persona_by_key
from persona_store.quarters import Period, quarter_of
from persona_store.revision_drafts import statement_key

REWORDED = "Nobody owns the attribution number between marketing and sales"
SAID = (
    ("doesnt", "Our CRM sync works; the fight is over who owns the number"),
    ("doesnt", "They moved to one suite last year"),
    ("doesnt", "Attribution is RevOps' problem now, not hers"),
    ("doesnt", ""),
    ("doesnt", ""),
    ("matches", ""),
    ("matches", ""),
)


def _home(world: DemoWorld, user_id: str) -> dict[str, Any]:
    before = world.standin.home_view(world.settings.slack_team_id or "", user_id)
    world.client.app_home_opened(user_id)

    def published() -> dict[str, Any]:
        found = world.standin.home_view(world.settings.slack_team_id or "", user_id)
        return found if found and found != before else {}

    return world.standin.wait_for(published, timeout=10)


def scene_owner_accepts_a_draft(world: DemoWorld) -> None:
    now = utcnow()
    with world.services.sessions.begin() as s:
        mary = get_persona_by_key(s, world.workspace_id, "marketing-director-mary")
        if mary is None or not mary.owner or not mary.pain_points:
            return
        owner, mary_id, revision = mary.owner, mary.id, mary.revision_number
        statement = str(mary.pain_points[0])
        position = mary.attributes().index(("pain_point", statement))
        for i, (verdict, note) in enumerate(SAID):
            feedback = Feedback(
                workspace_id=world.workspace_id,
                persona_id=mary_id,
                revision_number=revision,
                submission_key=f"demo-draft-{i}",
                author_id=f"U0FIELD{i:02d}",
                author_role="sales" if i % 2 else "success",
                source="adhoc",
                fit=3,
                missing_text=note,
                created_at=now - timedelta(minutes=30 - i),
                updated_at=now - timedelta(minutes=30 - i),
            )
            feedback.attribute_checks = [
                AttributeCheck(position=position, kind="pain_point", text=statement, verdict=verdict)
            ]
            s.add(feedback)

    world.echo("")
    world.echo(click.style("▶ The evidence proposes a revision to Mary's owner", bold=True))
    world.act(owner, "(Mary's owner) opens persona-bot's Home tab")
    home = _home(world, owner)
    drafts = [b for b in home["blocks"] if str(b.get("block_id", "")).startswith(ids.BLOCK_DRAFT_ACTIONS)]
    if not drafts:
        world.echo("  (no draft: the evidence does not dispute any statement)")
        return
    start = next(i for i, b in enumerate(home["blocks"]) if b.get("block_id") == drafts[0]["block_id"])
    world.show("their Home shows", {"blocks": home["blocks"][max(0, start - 2) : start + 1]})

    key = statement_key("pain_point", statement)
    world.act(owner, "clicks “Accept”")
    accept = next(
        e
        for b in drafts
        for e in b["elements"]
        if e["action_id"] == ids.ACTION_DRAFT_ACCEPT and e["value"].endswith(key)
    )
    world.client.block_action(ids.ACTION_DRAFT_ACCEPT, accept["value"], user_id=owner, view=home)

    def edit_form() -> dict[str, Any]:
        found = world.standin.last_view(owner) or {}
        return found if found.get("callback_id") == ids.VIEW_EDIT_PERSONA else {}

    form = world.standin.wait_for(edit_form, timeout=10)
    note = next(b for b in form["blocks"] if b.get("block_id") == "edit_note")["element"].get("initial_value", "")
    world.echo(f"  the edit form opens; its change note is already written: “{note}”")
    pains = next(b for b in form["blocks"] if b.get("block_id") == "edit_pain_points")["element"]["initial_value"]
    world.act(owner, f"rewords the pain point to “{REWORDED}” and clicks Save")
    world.client.view_submission_from(form, {edit_action("pain_points"): pains.replace(statement, REWORDED)}, owner)

    world.act(owner, "types `/persona history mary`")
    history = world.client.command("history marketing director mary", user_id=owner).json()
    world.show("only they see", {"blocks": history["blocks"][:2]})
    with world.services.sessions.begin() as s:
        period = Period.single(quarter_of(now))
        found = persona_evidence(s, world.workspace_id, period, mary_id, now=utcnow())
        old = next((st for st in found.statements if st.text == statement), None) if found else None
        new = next((st for st in found.statements if st.text == REWORDED), None) if found else None
    if old is not None and not old.current:
        world.echo(
            f"  a fresh start: the reworded pain point has {new.counts.total if new else 0} verdicts so far; the"
            f" {old.counts.total} on the old words stay in the history and no longer count"
        )


DRAFT_SCENES = [scene_owner_accepts_a_draft]

__all__ = ["DRAFT_SCENES", "scene_owner_accepts_a_draft"]
