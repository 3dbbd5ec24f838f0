"""Publishing a person's Home tab: the answer the Home listener and every Home button that changes it send."""

from __future__ import annotations

from slack_sdk import WebClient

from bot.blocks.home import build_home
from bot.services import Services


def publish_home(team_id: str, user_id: str, services: Services, client: WebClient) -> None:
    """Build and publish the person's Home tab. Publishing is idempotent, so Slack's event retries are harmless."""
    if not user_id or not team_id:
        return  # a payload without a person: nothing to draw
    view = services.home.build_for(team_id, user_id)
    client.views_publish(user_id=user_id, view=build_home(view))
