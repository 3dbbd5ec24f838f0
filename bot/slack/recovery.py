"""Closing the one duplicate window of the effects ledger: did an abandoned send in fact reach Slack?

Every message the ledger guards is posted with Slack message metadata naming its ledger key
(`effect_metadata(key)`). A sender that takes over an *expired* `pending` claim (its owner died somewhere between
claiming and recording the outcome) first asks Slack, with `find_sent_message`, whether a message carrying that
key is already in the conversation. If it is, the caller completes the claim with that message's ts and sends
nothing; if not, it sends as usual. Fresh claims never ask: the common path makes no extra call.

If Slack can't answer (no `im:history` scope, the channel can't be read, Slack down), the caller sends as it did
before this existed: a possible duplicate is preferred to a person who is never asked. That is logged once per
reason and process.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.slack.calls import is_rate_limited, open_dm, retry_after

log = logging.getLogger("persona_bot.effects")

EFFECT_EVENT_TYPE = "persona_bot_effect"
# How far before the abandoned claim's last claim/renewal time to look: the dead sender's last attempt came at
# most one back-off (8 s) plus one request timeout before it, and our clock and Slack's may differ a little.
LOOKBACK = timedelta(minutes=5)
HISTORY_PAGE = 200
HISTORY_PAGES = 10  # bounded: a DM with the app holds a handful of messages in a window of minutes
RATE_LIMIT_ATTEMPTS = 3

_warned: set[str] = set()
_warned_lock = threading.Lock()


@dataclass(frozen=True)
class SentMessage:
    channel: str
    ts: str


def effect_metadata(key: str) -> dict[str, Any]:
    """The `metadata=` for chat.postMessage that lets `find_sent_message` recognise the message later."""
    return {"event_type": EFFECT_EVENT_TYPE, "event_payload": {"key": key}}


def find_sent_message(
    client: WebClient,
    channel: str,
    key: str,
    since: datetime,
    *,
    sleep: Callable[[float], None] = time.sleep,
) -> SentMessage | None:
    """The message carrying ledger `key` posted to `channel` (a user id means the DM with them) since about
    `since`; None when there is none or Slack can't tell us (then the caller sends, as before)."""
    try:
        conversation = _call(lambda: open_dm(client, channel), sleep)
        since = since if since.tzinfo is not None else since.replace(tzinfo=UTC)  # stored times are UTC
        oldest = f"{(since - LOOKBACK).timestamp():.6f}"
        cursor: str | None = None
        for _ in range(HISTORY_PAGES):
            args: dict[str, Any] = {
                "channel": conversation,
                "oldest": oldest,
                "include_all_metadata": True,
                "limit": HISTORY_PAGE,
            }
            if cursor:
                args["cursor"] = cursor

            def history(a: dict[str, Any] = args) -> Any:
                return client.conversations_history(**a)

            page = _call(history, sleep)
            for message in page.get("messages") or []:
                if _effect_key(message) == key and message.get("ts"):
                    return SentMessage(conversation, str(message["ts"]))
            cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
            if not cursor:
                return None
        _warn_once("too_many_pages", "more history than we page through; sending again")
    except SlackApiError as error:
        code = str(error.response.get("error") or f"HTTP {error.response.status_code}")
        _warn_once(code, f"can't read the conversation's history ({code}); sending again (may duplicate)")
    except (SlackClientError, OSError) as error:
        name = type(error).__name__
        _warn_once(name, f"can't reach Slack to read history ({name}); sending again (may duplicate)")
    return None


def _call(request: Callable[[], Any], sleep: Callable[[float], None]) -> Any:
    """One Web API call, waiting out up to RATE_LIMIT_ATTEMPTS 429s (a refused look-up must not cause a resend)."""
    for attempt in range(RATE_LIMIT_ATTEMPTS):
        try:
            return request()
        except SlackApiError as error:
            if not is_rate_limited(error) or attempt == RATE_LIMIT_ATTEMPTS - 1:
                raise
            sleep(retry_after(error))
    raise AssertionError("unreachable")


def _effect_key(message: dict[str, Any]) -> str | None:
    metadata = message.get("metadata")
    if not isinstance(metadata, dict) or metadata.get("event_type") != EFFECT_EVENT_TYPE:
        return None
    payload = metadata.get("event_payload")
    key = payload.get("key") if isinstance(payload, dict) else None
    return str(key) if key is not None else None


def _warn_once(reason: str, message: str) -> None:
    with _warned_lock:
        if reason in _warned:
            return
        _warned.add(reason)
    log.warning(message, extra={"reason": reason})


__all__ = ["EFFECT_EVENT_TYPE", "SentMessage", "effect_metadata", "find_sent_message"]
