"""The stand-in names granted scopes as Slack does, can revoke a token either way, and answers Socket Mode's open."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.slack.oauth import BOT_SCOPES
from slack_standin import SlackStandin


@pytest.fixture
def standin() -> Iterator[SlackStandin]:
    with SlackStandin(team_id="T0SCOPE", bot_token="xoxb-scope") as server:
        yield server


def client(standin: SlackStandin, token: str) -> WebClient:
    return WebClient(token=token, base_url=standin.api_url)


def test_every_answer_names_the_granted_scopes_by_default_the_manifests(standin: SlackStandin) -> None:
    answer = client(standin, "xoxb-scope").auth_test()
    assert answer.headers["x-oauth-scopes"].split(",") == list(BOT_SCOPES)


def test_granted_scopes_can_be_narrowed_per_token(standin: SlackStandin) -> None:
    standin.grant_scopes("xoxb-scope", ["chat:write", "commands"])
    assert client(standin, "xoxb-scope").auth_test().headers["x-oauth-scopes"] == "chat:write,commands"
    standin.grant_scopes("xoxb-scope", None)
    assert "im:history" in client(standin, "xoxb-scope").auth_test().headers["x-oauth-scopes"]


def test_an_oauth_exchange_grants_the_scopes_of_its_code(standin: SlackStandin) -> None:
    standin.register_oauth_code("c1", "T0NEW", "xoxb-new", scope="commands,chat:write")
    WebClient(base_url=standin.api_url).oauth_v2_access(
        client_id=standin.client_id, client_secret=standin.client_secret, code="c1"
    )
    assert client(standin, "xoxb-new").auth_test().headers["x-oauth-scopes"] == "commands,chat:write"


@pytest.mark.parametrize("error", ["token_revoked", "invalid_auth"])
def test_a_revoked_token_is_refused_with_the_chosen_error_and_no_scopes(standin: SlackStandin, error: str) -> None:
    standin.revoke_token("xoxb-scope", error=error)
    with pytest.raises(SlackApiError) as refused:
        client(standin, "xoxb-scope").auth_test()
    assert refused.value.response["error"] == error
    assert "x-oauth-scopes" not in refused.value.response.headers


def test_apps_connections_open_takes_only_a_live_app_token(standin: SlackStandin) -> None:
    standin.add_app_token("xapp-1")
    answer = WebClient(base_url=standin.api_url).apps_connections_open(app_token="xapp-1")
    assert answer["url"].startswith("wss://")
    assert answer.headers["x-oauth-scopes"] == "connections:write"
    for token, error in (("xapp-unknown", "invalid_auth"), ("xoxb-scope", "not_allowed_token_type")):
        with pytest.raises(SlackApiError) as refused:
            WebClient(base_url=standin.api_url).apps_connections_open(app_token=token)
        assert refused.value.response["error"] == error
    standin.revoke_token("xapp-1", error="invalid_auth")
    with pytest.raises(SlackApiError) as refused:
        WebClient(base_url=standin.api_url).apps_connections_open(app_token="xapp-1")
    assert refused.value.response["error"] == "invalid_auth"


def test_users_lookup_by_email_finds_a_member_or_answers_users_not_found(standin: SlackStandin) -> None:
    standin.add_user("T0SCOPE", "U0OLIVE", "Olive", email="Olive@Example.com")
    answer = client(standin, "xoxb-scope").users_lookupByEmail(email="olive@example.com")
    assert answer["user"]["id"] == "U0OLIVE"
    for email, error in (("nobody@example.com", "users_not_found"), ("", "invalid_email")):
        with pytest.raises(SlackApiError) as refused:
            client(standin, "xoxb-scope").users_lookupByEmail(email=email)
        assert refused.value.response["error"] == error
