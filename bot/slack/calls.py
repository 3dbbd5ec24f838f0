"""Small Web API answers every sender shares: Retry-After, opening a DM, a client that never resends on its own."""

from __future__ import annotations

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler
from slack_sdk.http_retry.builtin_handlers import ServerErrorRetryHandler

MAX_RETRY_AFTER = 60.0  # never hold longer than this on one 429, whatever the header says
DEFAULT_RETRY_AFTER = 1.0  # a 429 without a readable Retry-After


def retry_after(error: SlackApiError) -> float:
    """The 429's Retry-After in seconds, capped at MAX_RETRY_AFTER; DEFAULT_RETRY_AFTER when missing or unreadable."""
    headers = {str(k).lower(): v for k, v in (error.response.headers or {}).items()}
    raw = headers.get("retry-after")
    value = raw[0] if isinstance(raw, list) else raw
    try:
        return min(MAX_RETRY_AFTER, max(0.0, float(value))) if value is not None else DEFAULT_RETRY_AFTER
    except ValueError:
        return DEFAULT_RETRY_AFTER


def is_rate_limited(error: SlackApiError) -> bool:
    return error.response.status_code == 429 or error.response.get("error") == "ratelimited"


def open_dm(client: WebClient, channel: str) -> str:
    """The conversation to post in: a channel id as it is, a user id's DM with the app opened (or found)."""
    if channel.startswith(("C", "G", "D")):
        return channel
    return str(client.conversations_open(users=channel)["channel"]["id"])


def without_resends(client: WebClient) -> WebClient:
    """A copy of `client` that lets 429s, 5xx and dropped connections through to its caller: a sender paces itself,
    obeys Retry-After for every worker at once, and after a 5xx or a dropped connection (Slack may have posted the
    message all the same) looks for the message before it sends again (`bot.slack.delivery`)."""
    return WebClient(
        token=client.token,
        base_url=client.base_url,
        timeout=client.timeout,
        retry_handlers=[
            h
            for h in client.retry_handlers
            if not isinstance(h, RateLimitErrorRetryHandler | ServerErrorRetryHandler | ConnectionErrorRetryHandler)
        ],
    )
