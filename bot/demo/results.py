"""Demo scenes: a manager's `/persona results mary` with its chart, and a persona owner's Home tab."""

from __future__ import annotations

from bot.demo.world import TEAM_ID, DemoWorld
from slack_standin import SlackStandin

OWNER = "U0OWNER1"  # owns Marketing Director Mary in bot/demo_data/personas.yaml


def scene_manager_asks_for_results(world: DemoWorld) -> None:
    manager = world.person_by_role("sales", manager=True)
    world.act(manager, "types `/persona results mary` in #deals")
    before = len(world.standin.uploads())
    reply = world.client.command("results mary", user_id=manager, channel_id="C0DEALS")
    world.show("only they see", reply.json())
    upload = world.standin.wait_for(lambda: world.standin.uploads()[before:], timeout=30)[0]
    assert upload.channel_id == SlackStandin.dm_channel_id(manager)
    path = world.out_dir / f"results-{upload.filename}"
    path.write_bytes(upload.content)
    world.echo(f"  … and in their DM the chart {upload.filename} ({len(upload.content):,} bytes), saved to {path}")
    world.echo(f"  its alt text: {upload.alt_text}")


def scene_owner_opens_the_home_tab(world: DemoWorld) -> None:
    world.act(OWNER, "(a persona owner) opens persona-bot's Home tab")
    before = len(world.standin.calls("views.publish"))
    world.client.app_home_opened(OWNER)
    world.standin.wait_for(lambda: len(world.standin.calls("views.publish")) > before, timeout=10)
    world.show("their Home tab", world.standin.home_view(TEAM_ID, OWNER))


RESULTS_SCENES = [scene_manager_asks_for_results, scene_owner_opens_the_home_tab]
