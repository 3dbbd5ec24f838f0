"""Demo scene: a manager opens persona-bot's Home tab in Slack and sees the quarter at a glance."""

from __future__ import annotations

from bot.demo.world import TEAM_ID, DemoWorld


def scene_manager_opens_the_home_tab(world: DemoWorld) -> None:
    manager = world.person_by_role("sales", manager=True)
    world.act(manager, "opens persona-bot's Home tab")
    before = len(world.standin.calls("views.publish"))
    world.client.app_home_opened(manager)
    world.standin.wait_for(lambda: len(world.standin.calls("views.publish")) > before, timeout=10)
    world.show("their Home tab", world.standin.home_view(TEAM_ID, manager))


HOME_SCENES = [scene_manager_opens_the_home_tab]
