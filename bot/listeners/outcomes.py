"""An admin or manager sends a CRM export to the bot in a DM: the bot reads it, imports it, and says how it went.

`message` events with files (subtype `file_share`) in the bot's DM. Who may: decided here from our own records
(the uploader must be a manager on the roster or a persona-bot admin); anyone else is told so and nothing is read.
The event is a hint: `files.info` is asked who shared the file and where, and a file not shared by that person in
that DM is ignored. Downloading and importing happen on `services.background`, the download before (never
inside) the import's transaction, with a size cap (`OUTCOMES_MAX_FILE_MB`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.blocks.common import fallback_text
from bot.blocks.persona import build_text
from bot.listeners.acking import ack_then
from bot.render import render_part
from bot.services import Services
from bot.slack.files import FileRefused, download, file_info
from persona_store.files import FileError

log = logging.getLogger("persona_bot.outcomes")

MAX_FILES_PER_MESSAGE = 5


@dataclass(frozen=True)
class SharedFiles:
    team_id: str
    user_id: str
    channel_id: str
    file_ids: tuple[str, ...]


def parse_shared_files(body: dict[str, Any]) -> SharedFiles | None:
    """Files a person shared in a DM with the bot; None for anything else (channels, bots, edits, no files)."""
    event = body.get("event") or {}
    if event.get("channel_type") != "im" or event.get("bot_id") or event.get("subtype") != "file_share":
        return None
    team_id = str(body.get("team_id") or event.get("team") or "")
    user_id = str(event.get("user") or "")
    channel_id = str(event.get("channel") or "")
    ids = tuple(
        str(f.get("id"))
        for f in event.get("files") or []
        if isinstance(f, dict) and isinstance(f.get("id"), str) and 0 < len(f["id"]) <= 32
    )
    if not (team_id and user_id and channel_id.startswith("D") and ids):
        return None
    return SharedFiles(team_id, user_id, channel_id, ids[:MAX_FILES_PER_MESSAGE])


def handle_file_share(body: dict[str, Any], client: WebClient, services: Services) -> None:
    shared = parse_shared_files(body)
    if shared is None:
        return
    if not services.outcomes.may_import(shared.team_id, shared.user_id):
        client.chat_postMessage(
            channel=shared.channel_id,
            text=fallback_text(render_part("outcomes", "file_not_allowed")),
            blocks=build_text("outcomes", "file_not_allowed"),
        )
        return
    for file_id in shared.file_ids:
        services.background.submit(import_shared_file, services, client, shared, file_id)


def import_shared_file(services: Services, client: WebClient, shared: SharedFiles, file_id: str) -> None:
    """files.info → checks → download → import (one transaction) → the summary in the DM."""
    try:
        if not services.outcomes.claim_file(shared.team_id, file_id):
            return  # Slack retried the event, or the same file came twice: imported once
        try:
            info = file_info(client, file_id)
        except SlackApiError:
            log.warning("files.info failed for a shared file", exc_info=True, extra={"team": shared.team_id})
            _say(client, shared.channel_id, "file_failed", "your file")
            return
        if info.user_id != shared.user_id or shared.channel_id not in info.ims:
            log.warning("ignored a file not shared by its sender in the bot's DM", extra={"team": shared.team_id})
            return
        if not info.looks_like_csv:
            _say(client, shared.channel_id, "file_not_csv", info.name)
            return
        _say(client, shared.channel_id, "file_working", info.name)
        limit = services.settings.outcomes_max_file_mb
        try:
            content = download(info, client.token or "", services.settings.slack_api_url, limit * 1024 * 1024)
        except FileRefused as refused:
            if refused.reason == "too_large":
                _say(client, shared.channel_id, "file_too_large", info.name, limit)
            else:
                _say(client, shared.channel_id, "file_failed", info.name)
            return
        try:
            report = services.outcomes.import_file(shared.team_id, content, kind=None)
        except FileError as error:
            _say(client, shared.channel_id, "file_refused", str(error), info.name)
            return
        text = render_part("outcomes", "import_summary", report, info.name, slack=True)
        client.chat_postMessage(
            channel=shared.channel_id,
            text=fallback_text(text),
            blocks=build_text("outcomes", "import_summary", report, info.name),
        )
    except SlackApiError:
        log.warning("could not read or answer a shared file", exc_info=True, extra={"team": shared.team_id})
    except Exception:  # anything else: log it with the traceback, and tell the person it failed
        log.exception("importing a shared file failed", extra={"team": shared.team_id})
        try:
            _say(client, shared.channel_id, "file_failed", file_id)
        except SlackApiError:
            log.warning("could not tell the sender the import failed", exc_info=True)


def _say(client: WebClient, channel: str, macro: str, *args: Any) -> None:
    text = render_part("outcomes", macro, *args)
    client.chat_postMessage(channel=channel, text=fallback_text(text), blocks=build_text("outcomes", macro, *args))


def ignore_other_messages() -> None:
    """Other DM messages (text, edits, the bot's own): nothing to do, but acknowledged so Slack doesn't retry."""


def register(app: App, services: Services) -> None:
    app.event({"type": "message", "subtype": "file_share"})(ack_then(handle_file_share))
    app.event("message")(ignore_other_messages)
