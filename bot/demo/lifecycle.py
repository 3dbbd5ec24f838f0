"""Demo scenes for a persona's life: an admin edits one (and everyone can read the history), and an owner is asked
for the six-monthly review by the clock and answers it."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from bot import ids
from bot.blocks.edit import action_id
from bot.clock.reviews import run_due_reviews
from bot.demo.world import DEMO_ADMIN, DemoWorld
from bot.slack.clients import SlackClients
from persona_store.models import AttributeCheck, Feedback, Persona, utcnow
from persona_store.personas import get_persona_by_key


def _admin(world: DemoWorld) -> str:
    admins = sorted(world.settings.admins)
    return DEMO_ADMIN if DEMO_ADMIN in admins else (admins[0] if admins else DEMO_ADMIN)


def scene_admin_edits_a_persona(world: DemoWorld) -> None:
    admin = _admin(world)
    world.act(admin, "(an admin) types `/persona edit rick`")
    world.client.command("edit rick", user_id=admin)
    view = world.standin.wait_for(lambda: world.standin.last_view(admin) or {}, timeout=10)
    world.show("a form opens, filled in", {"title": view["title"], "blocks": view["blocks"][:4]})

    goals = next(b for b in view["blocks"] if b.get("block_id") == "edit_goals")["element"].get("initial_value", "")
    lines = goals.splitlines()
    new_goals = [*lines[1:], "Fewer tools, each one actually adopted"]
    world.act(admin, "drops a goal, adds one, writes a change note and saves")
    world.client.view_submission_from(
        view,
        {action_id("goals"): "\n".join(new_goals), action_id("note"): "Q3 interviews: consolidation is the goal now"},
        user_id=admin,
    )
    confirmation = world.standin.wait_for(lambda: world.standin.messages(world.standin.dm_channel_id(admin)))
    world.show("the bot confirms in a DM", confirmation[-1])

    rep = world.person_by_role("sales", manager=False)
    world.act(rep, "types `/persona history rick`")
    world.show("only they see", world.client.command("history rick", user_id=rep).json())

    world.act(rep, "tries `/persona edit rick` (not the owner, not an admin)")
    world.show("only they see", world.client.command("edit rick", user_id=rep).json())


def scene_owner_reviews_a_persona(world: DemoWorld) -> None:
    now = utcnow()
    # Resolve people first: a second session inside the write transaction below would wait on SQLite's lock.
    authors = {role: world.person_by_role(role) for role in ("sales", "success")}
    with world.services.sessions.begin() as s:
        mary = get_persona_by_key(s, world.workspace_id, "marketing-director-mary")
        if mary is None or not mary.owner:
            return
        owner, mary_id = mary.owner, mary.id
        # Pretend Mary was last reviewed seven months ago, and the front line has said a few things since.
        # (Review due counts a revision as a review, so her last revision goes back too.)
        long_ago = now - timedelta(days=210)
        s.execute(update(Persona).where(Persona.id == mary_id).values(reviewed_at=long_ago, revised_at=long_ago))
        for i, (role, fit, missing) in enumerate(
            [
                ("sales", 4, ""),
                ("sales", 3, "She now reports to the CRO, not the CEO"),
                ("success", 2, "Budget moved to RevOps: she rarely signs alone"),
            ]
        ):
            feedback = Feedback(
                workspace_id=world.workspace_id,
                persona_id=mary_id,
                revision_number=mary.revision_number,
                submission_key=f"demo-review-{i}",
                author_id=authors[role],
                author_role=role,
                source="adhoc",
                fit=fit,
                missing_text=missing,
                created_at=now - timedelta(days=30 - i),
                updated_at=now - timedelta(days=30 - i),
            )
            feedback.attribute_checks = [
                AttributeCheck(
                    position=0, kind="pain_point", text="Attribution breaks between the tools", verdict="doesnt"
                )
            ]
            s.add(feedback)

    world.act(owner, "(Mary's owner) hears from the clock: Mary hasn't been reviewed for seven months")
    run_due_reviews(world.services, SlackClients(world.settings), now)
    dm = next(
        m
        for m in world.standin.messages(world.standin.dm_channel_id(owner))
        if any(b.get("block_id") == ids.BLOCK_REVIEW_ACTIONS for b in m.get("blocks") or [])
    )
    world.show("their DM", dm)

    world.act(owner, "clicks “Still accurate”")
    button = next(e for b in dm["blocks"] if b.get("block_id") == ids.BLOCK_REVIEW_ACTIONS for e in b["elements"])
    world.client.block_action(button["action_id"], button["value"], user_id=owner, message=dm, channel_id=dm["channel"])
    updated = world.standin.wait_for(
        lambda: next((m for m in world.standin.messages(dm["channel"]) if m["ts"] == dm["ts"] and m.get("edited")), {}),
        timeout=10,
    )
    world.show("the DM now reads (the buttons are gone)", {"blocks": updated["blocks"][-1:]})


__all__ = ["scene_admin_edits_a_persona", "scene_owner_reviews_a_persona"]
