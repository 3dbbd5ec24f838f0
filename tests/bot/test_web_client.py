"""Every Web API client the app makes survives Slack's rate limits, 5xx answers and dropped connections."""

from __future__ import annotations

from slack_sdk.http_retry import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler
from slack_sdk.http_retry.builtin_handlers import ServerErrorRetryHandler

from bot.config import Settings
from bot.slack.clients import make_web_client
from slack_standin import SlackStandin


def test_clients_carry_the_retry_handlers() -> None:
    client = make_web_client(Settings.from_env({"SLACK_BOT_TOKEN": "xoxb-1"}))
    kinds = {type(handler) for handler in client.retry_handlers}
    assert {ConnectionErrorRetryHandler, RateLimitErrorRetryHandler, ServerErrorRetryHandler} <= kinds


def test_a_429_with_retry_after_and_a_500_are_retried_transparently() -> None:
    with SlackStandin(team_id="T0TEST", bot_token="xoxb-test") as standin:
        settings = Settings.from_env({"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_API_URL": standin.api_url})
        client = make_web_client(settings)
        standin.fail("chat.postMessage", status=429, retry_after=0, times=2)
        assert client.chat_postMessage(channel="C0X", text="hello")["ok"]
        standin.fail("chat.postMessage", status=500, times=1)
        assert client.chat_postMessage(channel="C0X", text="again")["ok"]
        statuses = [call.status for call in standin.calls("chat.postMessage")]
        assert statuses == [429, 429, 200, 500, 200]
        assert [m["text"] for m in standin.messages("C0X")] == ["hello", "again"]
