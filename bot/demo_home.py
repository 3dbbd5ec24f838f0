"""Demo scene: a manager opens persona-bot's Home tab in Slack and sees the quarter at a glance."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.demo import DemoWorld


def scene_manager_opens_the_home_tab(world: DemoWorld) -> None:
    from bot.demo import TEAM_ID

    manager = world.person_by_role("sales", manager=True)
    world.act(manager, "opens persona-bot's Home tab")
    before = len(world.standin.calls("views.publish"))
    world.client.app_home_opened(manager)
    world.standin.wait_for(lambda: len(world.standin.calls("views.publish")) > before, timeout=10)
    world.show("their Home tab", world.standin.home_view(TEAM_ID, manager))


HOME_SCENES = [scene_manager_opens_the_home_tab]
