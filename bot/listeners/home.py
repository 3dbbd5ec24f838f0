"""The App Home tab: `app_home_opened` (Home tab only) → build this person's view → `views.publish`."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import ids
from bot.blocks.home import build_home
from bot.services import Services

log = logging.getLogger("persona_bot.home")


@dataclass(frozen=True)
class HomeRequest:
    team_id: str
    user_id: str
    tab: str


def parse_home_opened(body: dict[str, Any]) -> HomeRequest:
    event = body.get("event") or {}
    return HomeRequest(
        team_id=str(body.get("team_id") or event.get("view", {}).get("team_id") or ""),
        user_id=str(event.get("user") or ""),
        tab=str(event.get("tab") or ""),
    )


def parse_home_action(body: dict[str, Any]) -> HomeRequest:
    team = body.get("team") or {}
    user = body.get("user") or {}
    return HomeRequest(
        team_id=str(team.get("id") or user.get("team_id") or ""), user_id=str(user.get("id") or ""), tab="home"
    )


def publish_home(req: HomeRequest, services: Services, client: WebClient) -> None:
    """Build and publish the person's Home tab. Publishing is idempotent, so Slack's event retries are harmless."""
    if req.tab != "home" or not req.user_id or not req.team_id:
        return  # the Messages tab, or a payload without a person: nothing to draw
    view = services.home.build_for(req.team_id, req.user_id)
    client.views_publish(user_id=req.user_id, view=build_home(view))


def handle_home_opened(body: dict[str, Any], client: WebClient, services: Services) -> None:
    publish_home(parse_home_opened(body), services, client)


def handle_refresh(ack: Ack, body: dict[str, Any], client: WebClient, services: Services) -> None:
    """A Home button whose own feature is not wired in yet: acknowledge and redraw the tab with fresh data."""
    ack()
    try:
        publish_home(parse_home_action(body), services, client)
    except SlackApiError as error:
        log.warning("could not refresh the Home tab (%s)", error.response.get("error"))


def register(app: App, services: Services) -> None:
    app.event(ids.EVENT_APP_HOME_OPENED)(lambda body, client: handle_home_opened(body, client, services))
