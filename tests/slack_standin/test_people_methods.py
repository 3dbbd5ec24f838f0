"""The stand-in finds people like Slack: users.lookupByEmail, usergroups.list / usergroups.users.list and
conversations.members (paginated), each with its refusals, and an injected missing_scope."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from slack_standin import SlackStandin

TEAM = "T0TEST"


@pytest.fixture
def standin() -> Iterator[SlackStandin]:
    with SlackStandin() as s:
        s.add_user(TEAM, "U0ANN", "ann", "Ann Archer", email="Ann@Example.com")
        s.add_user(TEAM, "U0GONE", "gone", deleted=True, email="gone@example.com")
        s.add_workspace("T0OTHER", "xoxb-other")
        s.add_user("T0OTHER", "U0ELSE", "else", email="else@example.com")
        yield s


@pytest.fixture
def web(standin: SlackStandin) -> WebClient:
    return WebClient(token="xoxb-test", base_url=standin.api_url)


def error_of(call: object) -> str:
    with pytest.raises(SlackApiError) as caught:
        call()  # type: ignore[operator]
    return str(caught.value.response["error"])


def test_lookup_by_email(web: WebClient) -> None:
    user = web.users_lookupByEmail(email="ann@example.com")["user"]
    assert (user["id"], user["profile"]["real_name"]) == ("U0ANN", "Ann Archer"), "case doesn't matter"
    assert web.users_lookupByEmail(email="gone@example.com")["user"]["deleted"] is True
    assert error_of(lambda: web.users_lookupByEmail(email="nobody@example.com")) == "users_not_found"
    assert error_of(lambda: web.users_lookupByEmail(email="else@example.com")) == "users_not_found", "one workspace"
    assert error_of(lambda: web.users_lookupByEmail(email="not an email")) == "invalid_email"


def test_user_groups(standin: SlackStandin, web: WebClient) -> None:
    standin.add_usergroup(TEAM, "S0SALES", "sales-team", ["U0ANN", "U0GONE"])
    groups = web.usergroups_list()["usergroups"]
    assert [(g["id"], g["handle"], g["user_count"]) for g in groups] == [("S0SALES", "sales-team", 2)]
    assert web.usergroups_users_list(usergroup="S0SALES")["users"] == ["U0ANN", "U0GONE"]
    assert error_of(lambda: web.usergroups_users_list(usergroup="S0NOPE")) == "no_such_subteam"
    standin.add_usergroup(TEAM, "S0SALES", "sales-team", ["U0GONE"])
    assert web.usergroups_users_list(usergroup="S0SALES")["users"] == ["U0GONE"], "membership can change"


def test_channel_members_page_by_cursor(standin: SlackStandin, web: WebClient) -> None:
    members = [f"U{i:04d}" for i in range(5)]
    standin.add_channel(TEAM, "C0SALES", members)
    first = web.conversations_members(channel="C0SALES", limit=2)
    assert first["members"] == members[:2]
    seen = list(first["members"])
    cursor = first["response_metadata"]["next_cursor"]
    while cursor:
        page = web.conversations_members(channel="C0SALES", limit=2, cursor=cursor)
        seen += page["members"]
        cursor = page["response_metadata"]["next_cursor"]
    assert seen == members
    assert error_of(lambda: web.conversations_members(channel="C0NOPE")) == "channel_not_found"
    assert error_of(lambda: web.conversations_members(channel="C0SALES", cursor="bogus")) == "invalid_cursor"


@pytest.mark.parametrize("method", ["users.lookupByEmail", "usergroups.users.list", "conversations.members"])
def test_a_missing_scope_is_injected_like_any_refusal(standin: SlackStandin, web: WebClient, method: str) -> None:
    standin.add_usergroup(TEAM, "S0SALES", "sales-team", [])
    standin.add_channel(TEAM, "C0SALES", [])
    standin.fail(method, 200, "missing_scope")
    calls = {
        "users.lookupByEmail": lambda: web.users_lookupByEmail(email="ann@example.com"),
        "usergroups.users.list": lambda: web.usergroups_users_list(usergroup="S0SALES"),
        "conversations.members": lambda: web.conversations_members(channel="C0SALES"),
    }
    assert error_of(calls[method]) == "missing_scope"
    calls[method]()  # once only
