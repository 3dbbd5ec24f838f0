"""The App Home tab: `app_home_opened` (Home tab only) → build this person's view → `views.publish`.

Its two buttons send what other features send (`bot.listeners.answers`): Start opens the check-in modal
(`open_checkin_modal`), Download report builds and DMs the same workbook as `/persona report` (`queue_report`).
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import ids
from bot.listeners.acking import ack_then
from bot.listeners.answers import open_checkin_modal, publish_home, queue_report
from bot.listeners.requests import EventEnvelope, parse_action
from bot.services import Services
from bot.services.report_builds import Admission
from bot.untrusted import parse_id
from persona_store.quarters import QuarterError

log = logging.getLogger("persona_bot.home")


def handle_home_opened(body: dict[str, Any], client: WebClient, services: Services) -> None:
    envelope = EventEnvelope.of(body)
    if envelope.event.tab == "home":  # not the Messages tab
        publish_home(envelope.team_id, envelope.event.user or "", services, client)


def handle_start_checkin(ack: Ack, body: dict[str, Any], client: WebClient, services: Services) -> None:
    ack()
    req = parse_action(body)
    round_id = parse_id(req.value)
    if round_id is not None and (
        open_checkin_modal(services, client, req.team_id, req.user_id, round_id, req.trigger_id) is None
    ):
        return
    # Answered, skipped or closed meanwhile (or a forged value): the tab is stale, so redraw it as it is now.
    try:
        publish_home(req.team_id, req.user_id, services, client)
    except SlackApiError as error:
        log.warning("could not redraw the Home tab (%s)", error.response.get("error"))


def handle_download_report(ack: Ack, body: dict[str, Any], client: WebClient, services: Services) -> None:
    ack()
    req = parse_action(body)
    if not services.reports.may_request(req.team_id, req.user_id):
        return  # the button is only drawn for managers and admins; a replayed click from anyone else does nothing
    try:
        period = services.reports.resolve_period(req.team_id, req.value or None)
    except QuarterError:
        period = services.reports.resolve_period(req.team_id, None)
    admission, answer = queue_report(services, client, req.team_id, req.user_id, period)
    if admission is not Admission.ACCEPTED:  # already on its way, or busy: the Home tab has no response_url
        client.chat_postMessage(channel=req.user_id, **answer)


def register(app: App, services: Services) -> None:
    app.event(ids.EVENT_APP_HOME_OPENED)(ack_then(handle_home_opened))
    app.action(ids.ACTION_HOME_START_CHECKIN)(ack_then(handle_start_checkin))
    app.action(ids.ACTION_HOME_DOWNLOAD_REPORT)(ack_then(handle_download_report))
