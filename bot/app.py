"""create_app: the Bolt App with its middleware, error handler and listeners. No I/O at import time."""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from slack_bolt import App, BoltContext, BoltRequest, BoltResponse
from slack_sdk import WebClient

from bot import untrusted
from bot.config import Settings
from bot.listeners import (
    actions,
    checkins,
    commands,
    feedback,
    home,
    installs,
    outcomes,
    personas_admin,
    reviews,
    revision_drafts,
)
from bot.listeners import results as results_listeners
from bot.listeners import roster as roster_listeners
from bot.listeners import settings as settings_listeners
from bot.listeners.acking import handle_error
from bot.listeners.requests import BadRequest, check_payload
from bot.request_log import describe_request, note
from bot.services import Services
from bot.slack.clients import make_web_client
from bot.slack.oauth import build_oauth_settings

log = logging.getLogger("persona_bot.app")


class PersonaBotApp(App):
    """Bolt's App, checking every payload's shape before Bolt reads it (Socket Mode too, where no WSGI layer does):
    Bolt itself indexes `actions[0]` while building a listener's arguments, before any middleware could refuse."""

    def dispatch(self, req: BoltRequest) -> BoltResponse:
        try:
            check_payload(req.body)
        except BadRequest as error:
            log.warning("malformed Slack request: %s", error)
            note(outcome="malformed")
            return BoltResponse(status=400, body="")
        return super().dispatch(req)


def create_app(settings: Settings, services: Services, client: WebClient | None = None) -> App:
    untrusted.configure(settings.slack_signing_secret)  # every web process seals and reads metadata alike
    oauth: dict[str, Any] = {}
    if settings.oauth_enabled:
        # Many workspaces: each request is authorised with its workspace's token from the installation store.
        oauth["oauth_settings"] = build_oauth_settings(settings, services.sessions)
        settings = settings.with_overrides(slack_bot_token=None)
    app = PersonaBotApp(
        signing_secret=settings.slack_signing_secret,
        client=client or make_web_client(settings),
        # Verify the token on the first request, not at start-up: a brief Slack outage must not stop a deploy.
        token_verification_enabled=False,
        # Listeners answer in the request thread (no 10 ms ack polling); Slack calls come after the answer, on this
        # pool (bot/listeners/acking.py).
        process_before_response=True,
        listener_executor=ThreadPoolExecutor(max_workers=settings.listener_threads, thread_name_prefix="bolt"),
        logger=logging.getLogger("persona_bot.bolt"),
        **oauth,
    )
    app.use(_describe)
    app.use(_handing_over(services))
    app.error(handle_error)
    # outcomes last: its catch-all `message` listener must not shadow another module's message listeners.
    for module in (commands, actions, checkins, feedback, home, installs, personas_admin, reviews, outcomes):
        module.register(app, services)
    for extra in (roster_listeners, settings_listeners, results_listeners, revision_drafts):
        extra.register(app, services)
    return app


def _handing_over(services: Services) -> Callable[..., BoltResponse]:
    """The one middleware that gives listeners the services: a listener names `services` and Bolt passes them."""

    def hand_over_services(context: BoltContext, next: Callable[[], BoltResponse]) -> BoltResponse:  # Bolt's name
        context["services"] = services
        return next()

    return hand_over_services


def _describe(body: dict[str, Any], next: Callable[[], BoltResponse]) -> BoltResponse:  # Bolt's name
    note(**describe_request(body))
    return next()


__all__ = ["create_app"]
