"""Demo scene: week one. An admin adds a new rep by @mention with `/persona roster`, and moves the check-in open
hour with `/persona settings`; both through the real modals, as Slack would send them."""

from __future__ import annotations

from typing import Any

from bot import ids
from bot.blocks.settings import action_id
from bot.demo.world import DEMO_ADMIN, TEAM_ID, DemoWorld

NEW_REP = "U0DEMO007"
NEW_REP_NAME = "Riley Chen"


def scene_admin_adds_a_rep_and_moves_the_open_hour(world: DemoWorld) -> None:
    world.standin.add_user(TEAM_ID, NEW_REP, NEW_REP_NAME, tz="America/Chicago")
    world.people[NEW_REP] = NEW_REP_NAME
    world.people.setdefault(DEMO_ADMIN, "Ada (persona-bot admin)")

    world.act(DEMO_ADMIN, "types `/persona roster`")
    before = len(world.standin.calls("views.open"))
    world.client.command("roster", user_id=DEMO_ADMIN)
    world.standin.wait_for(lambda: len(world.standin.calls("views.open")) > before, timeout=10)
    form = world.standin.last_view(DEMO_ADMIN) or {}
    world.show("a form opens", form)
    world.act(DEMO_ADMIN, f"picks @{NEW_REP_NAME}, role Customer success, and saves")
    answers: dict[str | tuple[str, str], Any] = {ids.ROSTER_ACTION_PEOPLE: [NEW_REP], ids.ROSTER_ACTION_ROLE: "success"}
    done = world.client.view_submission_from(form, answers, user_id=DEMO_ADMIN).json()
    world.show("the form now says", done.get("view"))
    # Their name and zone come from the Slack profile, read just after the form closes.
    member = world.standin.wait_for(
        lambda: (m := world.services.roster.member(TEAM_ID, NEW_REP)) is not None and m.name != NEW_REP and m,
        timeout=10,
    )
    if member:
        world.echo(f"    (on the roster: {member.name}, {member.role}, {member.timezone} from their Slack profile)")

    world.act(DEMO_ADMIN, "types `/persona settings`")
    before = len(world.standin.calls("views.open"))
    world.client.command("settings", user_id=DEMO_ADMIN)
    world.standin.wait_for(lambda: len(world.standin.calls("views.open")) > before, timeout=10)
    settings_form = world.standin.last_view(DEMO_ADMIN) or {}
    world.show("a form opens", settings_form)
    world.act(DEMO_ADMIN, "sets the open hour to 09:00 and saves")
    saved = world.client.view_submission_from(settings_form, {action_id("open_hour"): "9"}, user_id=DEMO_ADMIN).json()
    world.show("the form now says", saved.get("view"))


SETUP_SCENES = [scene_admin_adds_a_rep_and_moves_the_open_hour]
