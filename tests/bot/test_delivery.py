"""The Slack adapter's shared answers: one error taxonomy, one capped Retry-After, one way to open a DM."""

from __future__ import annotations

from typing import Any

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web import SlackResponse

from bot.slack.calls import MAX_RETRY_AFTER, open_dm, retry_after
from bot.slack.delivery import Failure, classify


def slack_error(error: str = "ratelimited", status: int = 200, headers: dict[str, Any] | None = None) -> SlackApiError:
    response = SlackResponse(
        client=None,
        http_verb="POST",
        api_url="chat.postMessage",
        req_args={},
        data={"ok": False, "error": error},
        headers=headers or {},
        status_code=status,
    )
    return SlackApiError(error, response)


@pytest.mark.parametrize(
    ("headers", "wait"),
    [
        ({"Retry-After": "3"}, 3.0),
        ({"retry-after": ["0.25"]}, 0.25),
        ({"Retry-After": "3600"}, MAX_RETRY_AFTER),  # capped: one 429 never holds a sender for an hour
        ({"Retry-After": "soon"}, 1.0),
        ({}, 1.0),
    ],
)
def test_retry_after_is_read_and_capped(headers: dict[str, Any], wait: float) -> None:
    assert retry_after(slack_error(status=429, headers=headers)) == wait


@pytest.mark.parametrize(
    ("code", "failure"),
    [
        ("user_disabled", Failure.UNREACHABLE),
        ("channel_not_found", Failure.UNREACHABLE),
        ("invalid_auth", Failure.FATAL),
        ("missing_scope", Failure.FATAL),
        ("internal_error", Failure.PASSING),
        ("msg_too_long", Failure.PASSING),
    ],
)
def test_every_slack_error_falls_in_one_taxonomy(code: str, failure: Failure) -> None:
    assert classify(slack_error(code)) is failure


class Opener:
    def __init__(self) -> None:
        self.opened: list[str] = []

    def conversations_open(self, users: str) -> dict[str, Any]:
        self.opened.append(users)
        return {"channel": {"id": f"D{users}"}}


def test_open_dm_opens_a_persons_dm_and_leaves_a_channel_as_it_is() -> None:
    client: Any = Opener()
    assert open_dm(client, "U0REP") == "DU0REP"
    channels = ("C0REPORTS", "G0PRIVATE", "D0ALREADY")
    assert [open_dm(client, c) for c in channels] == list(channels)
    assert client.opened == ["U0REP"]
