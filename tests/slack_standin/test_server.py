"""The Slack stand-in answers like Slack: each method, each refusal, faults, rate limits and response_urls."""

from __future__ import annotations

import http.client
import json
import subprocess
import sys
import threading
from collections.abc import Iterator, Mapping
from dataclasses import FrozenInstanceError
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler, ServerErrorRetryHandler

from bot.blocks.limits import Problem, find_block_problems
from slack_standin import SlackStandin
from slack_standin import http as standin_http

TOKEN = "xoxb-test"
Json = dict[str, Any]


@pytest.fixture
def standin() -> Iterator[SlackStandin]:
    with SlackStandin() as s:
        s.add_user("T0TEST", "U0REP", "rep", "Rita Rep", tz="Europe/Paris")
        s.add_user("T0TEST", "U0GONE", "gone", deleted=True)
        s.add_user("T0TEST", "W0GRID", "grid")
        yield s


class ManualClock:
    """The stand-in's clock, moved by hand; its `sleep` moves it too and keeps each nap, so a test counts
    instead of waiting."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.naps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds

    def sleep(self, seconds: float) -> None:
        self.naps.append(seconds)
        self.now += seconds


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def timed(clock: ManualClock) -> Iterator[SlackStandin]:
    """A stand-in whose triggers, response_urls, rate limits and latency run on `clock`."""
    with SlackStandin(clock=clock, sleep=clock.sleep) as s:
        s.add_user("T0TEST", "U0REP", "rep", "Rita Rep", tz="Europe/Paris")
        yield s


@pytest.fixture
def web(standin: SlackStandin) -> WebClient:
    return WebClient(token=TOKEN, base_url=standin.api_url)


class Raw:
    """A plain HTTP answer: status, headers and body."""

    def __init__(self, status: int, headers: Mapping[str, str], body: bytes) -> None:
        self.status, self.headers, self.body = status, headers, body

    def json(self) -> Any:
        return json.loads(self.body)


def request(
    url: str,
    body: bytes = b"",
    headers: Mapping[str, str] | None = None,
    method: str = "POST",
) -> Raw:
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=10)
    try:
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        conn.request(method, target, body=body, headers=dict(headers or {}))
        answer = conn.getresponse()
        return Raw(answer.status, {k.lower(): v for k, v in answer.getheaders()}, answer.read())
    finally:
        conn.close()


def call_form(standin: SlackStandin, method: str, fields: Mapping[str, Any], token: str | None = TOKEN) -> Raw:
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return request(standin.api_url + method, urlencode(fields).encode(), headers)


def call_json(standin: SlackStandin, method: str, payload: Mapping[str, Any], token: str | None = TOKEN) -> Raw:
    headers = {"Content-Type": "application/json; charset=utf-8"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return request(standin.api_url + method, json.dumps(payload).encode(), headers)


def refusal(excinfo: pytest.ExceptionInfo[SlackApiError]) -> Json:
    data = excinfo.value.response.data
    assert isinstance(data, dict)
    assert data["ok"] is False
    return data


def section(text: str) -> Json:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def modal(title: str = "Persona", **extra: Any) -> Json:
    return {
        "type": "modal",
        "title": {"type": "plain_text", "text": title},
        "submit": {"type": "plain_text", "text": "Save"},
        "blocks": [
            {
                "type": "input",
                "block_id": "name",
                "label": {"type": "plain_text", "text": "Name"},
                "element": {"type": "plain_text_input", "action_id": "value"},
            }
        ],
        **extra,
    }


# -- lifecycle and the HTTP surface -----------------------------------------------------------------------------


def test_urls_and_lifecycle() -> None:
    standin = SlackStandin()
    with pytest.raises(RuntimeError, match="not running"):
        _ = standin.api_url
    standin.start()
    try:
        assert standin.port > 0
        assert standin.base_url == f"http://127.0.0.1:{standin.port}"
        assert standin.api_url == f"http://127.0.0.1:{standin.port}/api/"
        assert standin.start() is standin  # starting twice is harmless
    finally:
        standin.stop()
    standin.stop()
    with pytest.raises(ConnectionError):
        request(f"http://127.0.0.1:{standin.port}/api/auth.test")


def test_stop_closes_kept_alive_connections() -> None:
    standin = SlackStandin().start()
    conn = http.client.HTTPConnection("127.0.0.1", standin.port, timeout=5)
    try:
        conn.request("POST", "/api/auth.test", headers={"Authorization": f"Bearer {TOKEN}"})
        assert json.loads(conn.getresponse().read())["ok"] is True
        standin.stop()
        with pytest.raises((ConnectionError, http.client.HTTPException)):
            conn.request("POST", "/api/auth.test", headers={"Authorization": f"Bearer {TOKEN}"})
            conn.getresponse().read()
    finally:
        conn.close()


def test_keep_alive_serves_many_requests_on_one_connection(standin: SlackStandin) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", standin.port, timeout=5)
    try:
        conn.request("POST", "/api/auth.test", headers={"Authorization": f"Bearer {TOKEN}"})
        first = conn.getresponse()
        assert first.getheader("Content-Length") is not None
        first.read()
        sock = conn.sock
        for _ in range(20):
            conn.request("POST", "/api/auth.test", headers={"Authorization": f"Bearer {TOKEN}"})
            assert json.loads(conn.getresponse().read())["ok"] is True
        assert conn.sock is sock
    finally:
        conn.close()


def test_own_overhead_stays_small(standin: SlackStandin, monkeypatch: pytest.MonkeyPatch) -> None:
    """The stand-in serves latency benchmarks: posts on a kept-alive connection share one TCP connection, and
    each post's Block Kit (its slowest work) is checked once, before the lock, so concurrent calls don't queue
    behind it. (bench/lookup_latency.py measures the time itself.)"""
    checked_under_lock = []

    def counting(blocks: list[Any], surface: str) -> list[Problem]:
        checked_under_lock.append(standin._lock.locked())  # nothing else runs: only a check inside would see it
        return find_block_problems(blocks, surface)

    monkeypatch.setattr(standin_http, "find_block_problems", counting)
    body = json.dumps({"channel": "C0GENERAL", "text": "hi", "blocks": [section("*hello*")] * 5}).encode()
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    conn = http.client.HTTPConnection("127.0.0.1", standin.port, timeout=5)
    try:
        for _ in range(200):
            conn.request("POST", "/api/chat.postMessage", body=body, headers=headers)
            assert json.loads(conn.getresponse().read())["ok"] is True
    finally:
        conn.close()
    assert standin.connections_opened() == 1
    assert len(standin.calls("chat.postMessage")) == 200
    assert checked_under_lock == [False] * 200


def test_unknown_paths_and_methods(standin: SlackStandin) -> None:
    assert request(standin.base_url + "/nowhere").status == 404
    answer = call_form(standin, "chat.postMagic", {"channel": "C1"})
    assert answer.status == 200
    assert answer.json() == {"ok": False, "error": "unknown_method", "req_method": "chat.postMagic"}


def test_authentication(standin: SlackStandin) -> None:
    assert call_form(standin, "auth.test", {}, token=None).json()["error"] == "not_authed"
    assert call_form(standin, "auth.test", {}, token="xoxb-nope").json()["error"] == "invalid_auth"
    in_form = request(
        standin.api_url + "auth.test",
        urlencode({"token": TOKEN}).encode(),
        {"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert in_form.json()["ok"] is True
    in_query = request(standin.api_url + f"auth.test?token={TOKEN}", method="GET")
    assert in_query.json()["ok"] is True
    standin.revoke_token(TOKEN)
    assert call_form(standin, "auth.test", {}).json()["error"] == "token_revoked"


def test_malformed_bodies(standin: SlackStandin) -> None:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    broken = request(standin.api_url + "auth.test", b"{nope", {**headers, "Content-Type": "application/json"})
    assert broken.json()["error"] == "invalid_json"
    odd = request(standin.api_url + "auth.test", b"<x/>", {**headers, "Content-Type": "application/xml"})
    assert odd.json()["error"] == "invalid_post_type"


def test_auth_test_and_team_info(web: WebClient) -> None:
    auth = web.auth_test()
    assert auth["team_id"] == "T0TEST"
    assert auth["user_id"] == "UBOT"
    assert auth["bot_id"].startswith("B")
    assert auth["url"].startswith("https://")
    assert web.team_info()["team"]["id"] == "T0TEST"


def test_several_workspaces(standin: SlackStandin) -> None:
    standin.add_workspace("T0OTHER", "xoxb-other", "UOTHERBOT", team_name="Other")
    other = WebClient(token="xoxb-other", base_url=standin.api_url)
    assert other.auth_test()["user_id"] == "UOTHERBOT"
    other.chat_postMessage(channel="C0X", text="hello")
    assert [c.team_id for c in standin.calls("chat.postMessage")] == ["T0OTHER"]
    assert standin.calls(team_id="T0TEST") == []


def test_constructor_without_a_workspace() -> None:
    with SlackStandin(team_id=None) as empty:
        assert call_form(empty, "auth.test", {}).json()["error"] == "invalid_auth"


# -- chat.* ---------------------------------------------------------------------------------------------------


def test_post_message_to_a_channel(web: WebClient, standin: SlackStandin) -> None:
    posted = web.chat_postMessage(channel="C0GENERAL", text="hello", blocks=[section("*hello*")])
    assert posted["channel"] == "C0GENERAL"
    assert posted["message"]["text"] == "hello"
    assert posted["message"]["blocks"][0]["block_id"]  # Slack fills in block ids
    (stored,) = standin.messages("C0GENERAL")
    assert stored["ts"] == posted["ts"]
    assert stored["channel"] == "C0GENERAL"
    assert stored["user"] == "UBOT"


def test_post_message_to_a_user_lands_in_the_dm(web: WebClient, standin: SlackStandin) -> None:
    first = web.chat_postMessage(channel="U0REP", text="hi")
    second = web.chat_postMessage(channel="U0REP", text="again")
    assert first["channel"] == second["channel"] == standin.dm_channel_id("U0REP") == "D0REP"
    assert web.chat_postMessage(channel="W0GRID", text="hi")["channel"].startswith("D")
    assert web.conversations_open(users="U0REP")["channel"]["id"] == "D0REP"
    assert [m["text"] for m in standin.messages("D0REP")] == ["hi", "again"]


def test_post_message_to_unknown_or_deleted_users(web: WebClient, standin: SlackStandin) -> None:
    with pytest.raises(SlackApiError) as unknown:
        web.chat_postMessage(channel="U0NOBODY", text="hi")
    assert refusal(unknown)["error"] == "channel_not_found"
    with pytest.raises(SlackApiError) as bogus:
        web.chat_postMessage(channel="#general", text="hi")
    assert refusal(bogus)["error"] == "channel_not_found"
    # Slack answers ok to a DM for a deactivated user (python-slack-sdk#1156) unless told otherwise.
    assert web.chat_postMessage(channel="U0GONE", text="hi")["ok"] is True
    standin.deleted_user_dm_error = "user_disabled"
    with pytest.raises(SlackApiError) as disabled:
        web.chat_postMessage(channel="U0GONE", text="hi")
    assert refusal(disabled)["error"] == "user_disabled"


def test_channel_errors(web: WebClient, standin: SlackStandin) -> None:
    standin.set_channel_error("C0OLD", "is_archived")
    with pytest.raises(SlackApiError) as archived:
        web.chat_postMessage(channel="C0OLD", text="hi")
    assert refusal(archived)["error"] == "is_archived"
    standin.set_channel_error("C0OLD", None)
    assert web.chat_postMessage(channel="C0OLD", text="hi")["ok"] is True


def test_post_message_needs_text_or_blocks(standin: SlackStandin) -> None:
    assert call_json(standin, "chat.postMessage", {"channel": "C1"}).json()["error"] == "no_text"
    assert call_json(standin, "chat.postMessage", {"channel": "C1", "text": ""}).json()["error"] == "no_text"
    assert call_json(standin, "chat.postMessage", {"channel": "C1", "blocks": [section("x")]}).json()["ok"] is True


def test_post_message_text_limit(web: WebClient) -> None:
    assert web.chat_postMessage(channel="C1", text="x" * 40_000)["ok"] is True
    with pytest.raises(SlackApiError) as too_long:
        web.chat_postMessage(channel="C1", text="x" * 40_001)
    assert refusal(too_long)["error"] == "msg_too_long"


def test_post_message_refuses_what_slack_refuses(web: WebClient, standin: SlackStandin) -> None:
    blocks = [section("fine"), section(""), {"type": "header", "text": {"type": "mrkdwn", "text": "x"}}]
    with pytest.raises(SlackApiError) as invalid:
        web.chat_postMessage(channel="C1", text="x", blocks=blocks)
    data = refusal(invalid)
    assert data["error"] == "invalid_blocks"
    assert data["response_metadata"]["messages"] == [
        "[ERROR] must be more than 0 characters [json-pointer:/blocks/1/text/text]",
        "[ERROR] must be plain_text, not 'mrkdwn' [json-pointer:/blocks/2/text/type]",
    ]
    with pytest.raises(SlackApiError) as too_many:
        web.chat_postMessage(channel="C1", text="x", blocks=[{"type": "divider"}] * 51)
    assert refusal(too_many)["error"] == "invalid_blocks"
    assert standin.messages() == []
    failed = standin.calls("chat.postMessage")
    assert [c.error for c in failed] == ["invalid_blocks", "invalid_blocks"]
    assert not failed[0].ok


def test_form_bodies_have_their_json_fields_decoded(standin: SlackStandin) -> None:
    blocks = [section("from a form")]
    answer = call_form(standin, "chat.postMessage", {"channel": "C1", "text": "t", "blocks": json.dumps(blocks)})
    assert answer.json()["ok"] is True
    (call,) = standin.calls("chat.postMessage")
    assert call.params["blocks"] == blocks
    assert "token" not in call.params
    broken = call_form(standin, "chat.postMessage", {"channel": "C1", "text": "t", "blocks": "[{nope"})
    assert broken.json()["error"] == "invalid_blocks_format"


def test_timestamps_are_unique_and_increasing_across_threads(standin: SlackStandin) -> None:
    def post(n: int) -> None:
        client = WebClient(token=TOKEN, base_url=standin.api_url)
        for i in range(15):
            client.chat_postMessage(channel=f"C{n}", text=str(i))

    threads = [threading.Thread(target=post, args=(n,)) for n in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    calls = standin.calls("chat.postMessage")
    assert len(calls) == 300
    stamps = [m["ts"] for m in standin.messages()]
    assert len(set(stamps)) == 300
    assert stamps == sorted(stamps, key=float)
    for channel in range(20):  # each thread's own posts got increasing stamps
        mine = [m for m in standin.messages(f"C{channel}")]
        assert [m["text"] for m in mine] == [str(i) for i in range(15)]


def test_post_ephemeral(web: WebClient, standin: SlackStandin) -> None:
    posted = web.chat_postEphemeral(channel="C0GENERAL", user="U0REP", text="only you")
    assert posted["message_ts"]
    (ephemeral,) = standin.ephemeral_messages(user_id="U0REP")
    assert ephemeral["text"] == "only you"
    assert standin.messages() == []
    with pytest.raises(SlackApiError) as stranger:
        web.chat_postEphemeral(channel="C0GENERAL", user="U0NOBODY", text="x")
    assert refusal(stranger)["error"] == "user_not_in_channel"
    # Ephemeral messages can't be edited with chat.update; only their response_url can replace them.
    with pytest.raises(SlackApiError) as not_editable:
        web.chat_update(channel="C0GENERAL", ts=posted["message_ts"], text="changed")
    assert refusal(not_editable)["error"] == "message_not_found"


def test_update_delete_and_permalink(web: WebClient, standin: SlackStandin) -> None:
    posted = web.chat_postMessage(channel="C1", text="v1", blocks=[section("one")])
    updated = web.chat_update(channel="C1", ts=posted["ts"], text="v2")
    assert updated["ts"] == posted["ts"]
    (stored,) = standin.messages("C1")
    assert stored["text"] == "v2"
    assert stored["blocks"][0]["text"]["text"] == "one"  # blocks left out of an update are kept
    assert "edited" in stored
    web.chat_update(channel="C1", ts=posted["ts"], text="v3", blocks=[section("three")])
    assert standin.messages("C1")[0]["blocks"][0]["text"]["text"] == "three"
    with pytest.raises(SlackApiError) as refused:
        web.chat_update(channel="C1", ts=posted["ts"], text="v4", blocks=[section("")])
    assert refusal(refused)["error"] == "invalid_blocks"
    with pytest.raises(SlackApiError) as missing:
        web.chat_update(channel="C1", ts="1.000001", text="x")
    assert refusal(missing)["error"] == "message_not_found"
    with pytest.raises(SlackApiError) as wrong_channel:
        web.chat_update(channel="C2", ts=posted["ts"], text="x")
    assert refusal(wrong_channel)["error"] == "message_not_found"

    link = web.chat_getPermalink(channel="C1", message_ts=posted["ts"])["permalink"]
    assert link.endswith(f"/archives/C1/p{posted['ts'].replace('.', '')}")
    assert web.chat_delete(channel="C1", ts=posted["ts"])["ok"] is True
    assert standin.messages() == []
    with pytest.raises(SlackApiError) as gone:
        web.chat_delete(channel="C1", ts=posted["ts"])
    assert refusal(gone)["error"] == "message_not_found"
    with pytest.raises(SlackApiError) as no_link:
        web.chat_getPermalink(channel="C1", message_ts=posted["ts"])
    assert refusal(no_link)["error"] == "message_not_found"


# -- conversations.open, users.* -------------------------------------------------------------------------------


def test_conversations_open(web: WebClient) -> None:
    first = web.conversations_open(users="U0REP")
    assert first["channel"]["id"] == "D0REP"
    assert "already_open" not in first
    assert web.conversations_open(users="U0REP")["already_open"] is True
    group = web.conversations_open(users="U0REP,W0GRID")["channel"]["id"]
    assert group.startswith("G")
    assert web.conversations_open(users="W0GRID,U0REP")["channel"]["id"] == group
    with pytest.raises(SlackApiError) as unknown:
        web.conversations_open(users="U0NOBODY")
    assert refusal(unknown)["error"] == "user_not_found"
    with pytest.raises(SlackApiError) as deleted:
        web.conversations_open(users="U0GONE")
    assert refusal(deleted)["error"] == "user_disabled"


def test_post_message_keeps_metadata(web: WebClient, standin: SlackStandin) -> None:
    metadata = {"event_type": "persona_bot_effect", "event_payload": {"key": "checkin:1:U0REP:invite"}}
    posted = web.chat_postMessage(channel="U0REP", text="hi", metadata=metadata)
    assert posted["message"]["metadata"] == metadata
    (stored,) = standin.messages("D0REP")
    assert stored["metadata"] == metadata


def test_conversations_history_is_newest_first_and_shows_metadata_only_when_asked(
    web: WebClient, standin: SlackStandin
) -> None:
    metadata = {"event_type": "persona_bot_effect", "event_payload": {"key": "k2"}}
    first = web.chat_postMessage(channel="U0REP", text="one")
    second = web.chat_postMessage(channel="U0REP", text="two", metadata=metadata)
    web.chat_postMessage(channel="C0ELSEWHERE", text="not in the DM")
    plain = web.conversations_history(channel="D0REP")
    assert [m["text"] for m in plain["messages"]] == ["two", "one"]
    assert [m["ts"] for m in plain["messages"]] == [second["ts"], first["ts"]]
    assert all("metadata" not in m and "channel" not in m for m in plain["messages"])
    assert plain["has_more"] is False and plain["response_metadata"]["next_cursor"] == ""
    full = web.conversations_history(channel="D0REP", include_all_metadata=True)
    assert [m.get("metadata") for m in full["messages"]] == [metadata, None]


def test_conversations_history_oldest_latest_and_inclusive(web: WebClient) -> None:
    stamps = [web.chat_postMessage(channel="U0REP", text=str(i))["ts"] for i in range(4)]

    def texts(**args: Any) -> list[str]:
        return [m["text"] for m in web.conversations_history(channel="D0REP", **args)["messages"]]

    assert texts(oldest=stamps[1]) == ["3", "2"], "oldest is exclusive"
    assert texts(latest=stamps[2]) == ["1", "0"], "latest is exclusive"
    assert texts(oldest=stamps[1], latest=stamps[2], inclusive=True) == ["2", "1"]
    assert texts(oldest=f"{float(stamps[3]) + 1:.6f}") == []


def test_conversations_history_paginates_with_a_cursor(web: WebClient) -> None:
    for i in range(5):
        web.chat_postMessage(channel="U0REP", text=str(i))
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        page = web.conversations_history(channel="D0REP", limit=2, **({"cursor": cursor} if cursor else {}))
        pages += 1
        seen += [m["text"] for m in page["messages"]]
        cursor = page["response_metadata"]["next_cursor"]
        assert page["has_more"] is bool(cursor)
        if not cursor:
            break
    assert pages == 3 and seen == ["4", "3", "2", "1", "0"]
    with pytest.raises(SlackApiError) as bad:
        web.conversations_history(channel="D0REP", cursor="not-a-cursor")
    assert refusal(bad)["error"] == "invalid_cursor"


def test_conversations_history_refuses_unknown_channels_and_other_workspaces(
    web: WebClient, standin: SlackStandin
) -> None:
    assert web.conversations_history(channel="D0REP")["messages"] == [], "a user's DM exists before any message"
    web.chat_postMessage(channel="C0MINE", text="mine")
    assert len(web.conversations_history(channel="C0MINE")["messages"]) == 1
    for channel in ("C0NOWHERE", "D0NOBODY", "U0REP"):
        with pytest.raises(SlackApiError) as unknown:
            web.conversations_history(channel=channel)
        assert refusal(unknown)["error"] == "channel_not_found", channel
    standin.add_workspace("T0OTHER", "xoxb-other", "UOTHERBOT", team_name="Other")
    standin.add_user("T0OTHER", "U0REP", "rep elsewhere")
    other = WebClient(token="xoxb-other", base_url=standin.api_url)
    with pytest.raises(SlackApiError) as foreign:
        other.conversations_history(channel="C0MINE")
    assert refusal(foreign)["error"] == "channel_not_found"
    web.chat_postMessage(channel="U0REP", text="in T0TEST")
    assert other.conversations_history(channel="D0REP")["messages"] == [], "the same id, another workspace's DM"


def test_users_info(web: WebClient) -> None:
    user = web.users_info(user="U0REP")["user"]
    assert user["id"] == "U0REP"
    assert user["name"] == "rep"
    assert user["real_name"] == user["profile"]["real_name"] == "Rita Rep"
    assert user["profile"]["display_name"] == "rep"
    assert user["tz"] == "Europe/Paris"
    assert user["tz_offset"] in (3600, 7200)
    assert user["deleted"] is False
    assert user["is_bot"] is False
    assert web.users_info(user="U0GONE")["user"]["deleted"] is True
    with pytest.raises(SlackApiError) as unknown:
        web.users_info(user="U0NOBODY")
    assert refusal(unknown)["error"] == "user_not_found"


def test_users_list_paginates(web: WebClient, standin: SlackStandin) -> None:
    for i in range(4):
        standin.add_user("T0TEST", f"U1{i}", f"user{i}")
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        page = web.users_list(limit=2, cursor=cursor)
        pages += 1
        seen += [m["id"] for m in page["members"]]
        cursor = page["response_metadata"]["next_cursor"]
        if not cursor:
            break
    assert pages == 4
    assert seen == ["U0REP", "U0GONE", "W0GRID", "U10", "U11", "U12", "U13"]
    assert len(web.users_list()["members"]) == 7
    with pytest.raises(SlackApiError) as bad:
        web.users_list(cursor="bm9wZQ==")
    assert refusal(bad)["error"] == "invalid_cursor"


# -- views.* ---------------------------------------------------------------------------------------------------


def test_views_open_and_last_view(web: WebClient, standin: SlackStandin) -> None:
    trigger = standin.new_trigger_id(user_id="U0REP")
    opened = web.views_open(trigger_id=trigger, view=modal(callback_id="persona_edit", private_metadata="p-1"))
    view = opened["view"]
    assert view["id"].startswith("V")
    assert view["hash"]
    assert view["root_view_id"] == view["id"]
    assert view["previous_view_id"] is None
    assert view["callback_id"] == "persona_edit"
    assert view["private_metadata"] == "p-1"
    assert view["state"] == {"values": {}}
    assert view["blocks"][0]["element"]["action_id"] == "value"
    assert standin.last_view("U0REP") == view
    assert standin.last_view() == view
    assert standin.last_view("U0OTHER") is None
    assert standin.view(view["id"]) == view


def test_triggers_are_single_use_and_expire(timed: SlackStandin, clock: ManualClock) -> None:
    web = WebClient(token=TOKEN, base_url=timed.api_url)
    with pytest.raises(SlackApiError) as unknown:
        web.views_open(trigger_id="123.456.abc", view=modal())
    assert refusal(unknown)["error"] == "invalid_trigger_id"
    trigger = timed.new_trigger_id()
    web.views_open(trigger_id=trigger, view=modal())
    with pytest.raises(SlackApiError) as reused:
        web.views_open(trigger_id=trigger, view=modal())
    assert refusal(reused)["error"] == "exchanged_trigger_id"
    timed.trigger_ttl = 0.05
    fresh, late = timed.new_trigger_id(), timed.new_trigger_id()
    clock.advance(0.05)
    assert web.views_open(trigger_id=fresh, view=modal())["ok"] is True  # at its ttl, still good
    clock.advance(0.01)
    with pytest.raises(SlackApiError) as expired:
        web.views_open(trigger_id=late, view=modal())
    assert refusal(expired)["error"] == "expired_trigger_id"


def test_views_open_refuses_invalid_views_without_burning_the_trigger(web: WebClient, standin: SlackStandin) -> None:
    trigger = standin.new_trigger_id()
    with pytest.raises(SlackApiError) as invalid:
        web.views_open(trigger_id=trigger, view=modal(title="A title far longer than 24 characters"))
    data = refusal(invalid)
    assert data["error"] == "invalid_arguments"
    assert data["response_metadata"]["messages"] == [
        "[ERROR] must be at most 24 characters, not 37 [json-pointer:/view/title/text]"
    ]
    with pytest.raises(SlackApiError) as home:
        web.views_open(trigger_id=trigger, view={"type": "home", "blocks": [section("x")]})
    assert refusal(home)["error"] == "invalid_arguments"
    big = modal()
    big["blocks"] = [section("x" * 2990) for _ in range(90)]
    with pytest.raises(SlackApiError) as too_large:
        web.views_open(trigger_id=trigger, view=big)
    assert refusal(too_large)["error"] == "view_too_large"
    assert web.views_open(trigger_id=trigger, view=modal())["ok"] is True


def test_views_push_builds_a_stack_of_three(web: WebClient, standin: SlackStandin) -> None:
    root = web.views_open(trigger_id=standin.new_trigger_id("U0REP"), view=modal("Root"))["view"]
    second = web.views_push(trigger_id=standin.new_trigger_id("U0REP"), view=modal("Second"))["view"]
    third = web.views_push(trigger_id=standin.new_trigger_id("U0REP"), view=modal("Third"))["view"]
    assert second["root_view_id"] == third["root_view_id"] == root["id"]
    assert second["previous_view_id"] == root["id"]
    assert third["previous_view_id"] == second["id"]
    assert [v["title"]["text"] for v in standin.view_stack("T0TEST", "U0REP")] == ["Root", "Second", "Third"]
    with pytest.raises(SlackApiError) as full:
        web.views_push(trigger_id=standin.new_trigger_id("U0REP"), view=modal("Fourth"))
    assert refusal(full)["error"] == "push_limit_reached"
    assert standin.last_view("U0REP") == third


def test_views_update(web: WebClient, standin: SlackStandin) -> None:
    view = web.views_open(trigger_id=standin.new_trigger_id("U0REP"), view=modal(external_id="ext-1"))["view"]
    updated = web.views_update(view_id=view["id"], hash=view["hash"], view=modal("Step 2", external_id="ext-1"))
    assert updated["view"]["id"] == view["id"]
    assert updated["view"]["title"]["text"] == "Step 2"
    assert standin.last_view("U0REP")["title"]["text"] == "Step 2"  # type: ignore[index]
    with pytest.raises(SlackApiError) as stale:
        web.views_update(view_id=view["id"], hash=view["hash"], view=modal("Step 3"))
    assert refusal(stale)["error"] == "hash_conflict"
    by_external = web.views_update(external_id="ext-1", view=modal("Step 3", external_id="ext-1"))
    assert by_external["view"]["id"] == view["id"]
    with pytest.raises(SlackApiError) as unknown:
        web.views_update(view_id="V0NOPE", view=modal())
    assert refusal(unknown)["error"] == "not_found"
    with pytest.raises(SlackApiError) as invalid:
        web.views_update(view_id=view["id"], view=modal(title=""))
    assert refusal(invalid)["error"] == "invalid_arguments"
    neither = call_json(standin, "views.update", {"view": modal()})
    assert neither.json()["error"] == "invalid_arguments"


def test_duplicate_external_id(web: WebClient, standin: SlackStandin) -> None:
    web.views_open(trigger_id=standin.new_trigger_id(), view=modal(external_id="same"))
    with pytest.raises(SlackApiError) as duplicate:
        web.views_open(trigger_id=standin.new_trigger_id(), view=modal(external_id="same"))
    assert refusal(duplicate)["error"] == "duplicate_external_id"


def test_views_publish_home(web: WebClient, standin: SlackStandin) -> None:
    home = {"type": "home", "blocks": [section("Welcome")]}
    first = web.views_publish(user_id="U0REP", view=home)["view"]
    stored = standin.home_view("T0TEST", "U0REP")
    assert stored is not None
    assert stored["blocks"][0]["text"]["text"] == "Welcome"
    second = web.views_publish(user_id="U0REP", view={"type": "home", "blocks": [section("Again")]}, hash=first["hash"])
    assert second["view"]["id"] == first["id"]
    with pytest.raises(SlackApiError) as stale:
        web.views_publish(user_id="U0REP", view=home, hash=first["hash"])
    assert refusal(stale)["error"] == "hash_conflict"
    with pytest.raises(SlackApiError) as not_home:
        web.views_publish(user_id="U0REP", view=modal())
    assert refusal(not_home)["error"] == "invalid_arguments"
    with pytest.raises(SlackApiError) as invalid:
        web.views_publish(user_id="U0REP", view={"type": "home", "blocks": [section("")]})
    assert refusal(invalid)["response_metadata"]["messages"] == [
        "[ERROR] must be more than 0 characters [json-pointer:/view/blocks/0/text/text]"
    ]
    assert standin.home_view("T0TEST", "U0OTHER") is None


# -- files -----------------------------------------------------------------------------------------------------


def test_files_upload_v2_goes_through_all_three_steps(web: WebClient, standin: SlackStandin) -> None:
    content = b"name,quarter\nAda,Q3\n"
    answer = web.files_upload_v2(
        content=content, filename="personas.csv", title="Personas", channel="D0REP", initial_comment="Here"
    )
    assert answer["file"]["title"] == "Personas"
    (upload,) = standin.uploads()
    assert upload.content == content
    assert upload.filename == "personas.csv"
    assert upload.title == "Personas"
    assert upload.channel_id == "D0REP"
    assert upload.initial_comment == "Here"
    assert upload.file_id == answer["file"]["id"]
    assert [c.method for c in standin.calls()] == ["files.getUploadURLExternal", "files.completeUploadExternal"]


def test_upload_refusals(web: WebClient, standin: SlackStandin) -> None:
    ticket = web.files_getUploadURLExternal(filename="a.txt", length=3)
    assert ticket["upload_url"] == f"{standin.base_url}/upload/{ticket['file_id']}"
    with pytest.raises(SlackApiError) as not_uploaded:
        web.files_completeUploadExternal(files=[{"id": ticket["file_id"], "title": "A"}])
    assert refusal(not_uploaded)["error"] == "file_not_found"
    posted = request(ticket["upload_url"], b"abc", {"Content-Type": "application/octet-stream"})
    assert (posted.status, posted.body) == (200, b"OK - 3")
    with pytest.raises(SlackApiError) as bad_channel:
        web.files_completeUploadExternal(files=[{"id": ticket["file_id"], "title": "A"}], channel_id="not-a-channel")
    assert refusal(bad_channel)["error"] == "invalid_channel"
    with pytest.raises(SlackApiError) as unknown:
        web.files_completeUploadExternal(files=[{"id": "F0NOPE", "title": "A"}])
    assert refusal(unknown)["error"] == "file_not_found"
    assert request(f"{standin.base_url}/upload/F0NOPE", b"x").status == 404
    done = web.files_completeUploadExternal(files=[{"id": ticket["file_id"], "title": "A"}])
    assert done["files"][0]["id"] == ticket["file_id"]
    assert standin.uploads()[0].channel_id is None  # no channel: a private file
    with pytest.raises(SlackApiError) as missing_length:
        web.api_call("files.getUploadURLExternal", params={"filename": "a.txt"})
    assert refusal(missing_length)["error"] == "invalid_arguments"


# -- oauth -----------------------------------------------------------------------------------------------------


def test_oauth_v2_access(standin: SlackStandin) -> None:
    standin.register_oauth_code("code-1", "T0NEW", "xoxb-new", "UNEWBOT", team_name="New team")
    anonymous = WebClient(base_url=standin.api_url)
    granted = anonymous.oauth_v2_access(client_id=standin.client_id, client_secret=standin.client_secret, code="code-1")
    assert granted["access_token"] == "xoxb-new"
    assert granted["token_type"] == "bot"
    assert granted["bot_user_id"] == "UNEWBOT"
    assert granted["team"] == {"id": "T0NEW", "name": "New team"}
    assert granted["enterprise"] is None
    assert granted["is_enterprise_install"] is False
    assert granted["authed_user"]["id"]
    assert granted["app_id"]
    assert "chat:write" in granted["scope"]
    assert WebClient(token="xoxb-new", base_url=standin.api_url).auth_test()["team_id"] == "T0NEW"
    assert standin.calls("oauth.v2.access")[0].team_id == "T0NEW"
    with pytest.raises(SlackApiError) as reused:
        anonymous.oauth_v2_access(client_id=standin.client_id, client_secret=standin.client_secret, code="code-1")
    assert refusal(reused)["error"] == "invalid_code"


def test_oauth_v2_access_refusals(standin: SlackStandin) -> None:
    standin.register_oauth_code("code-2", "T0NEW", "xoxb-new", redirect_uri="https://app.example/oauth")
    anonymous = WebClient(base_url=standin.api_url)
    with pytest.raises(SlackApiError) as bad_client:
        anonymous.oauth_v2_access(client_id="9.9", client_secret=standin.client_secret, code="code-2")
    assert refusal(bad_client)["error"] == "invalid_client_id"
    with pytest.raises(SlackApiError) as bad_secret:
        anonymous.oauth_v2_access(client_id=standin.client_id, client_secret="wrong", code="code-2")
    assert refusal(bad_secret)["error"] == "bad_client_secret"
    with pytest.raises(SlackApiError) as bad_code:
        anonymous.oauth_v2_access(client_id=standin.client_id, client_secret=standin.client_secret, code="nope")
    assert refusal(bad_code)["error"] == "invalid_code"
    # client credentials as form fields (the other way Slack accepts them), and a redirect_uri that must match
    fields = {"client_id": standin.client_id, "client_secret": standin.client_secret, "code": "code-2"}
    assert call_form(standin, "oauth.v2.access", {**fields, "redirect_uri": "https://evil.example"}, None).json() == {
        "ok": False,
        "error": "bad_redirect_uri",
    }
    answer = call_form(standin, "oauth.v2.access", {**fields, "redirect_uri": "https://app.example/oauth"}, None)
    assert answer.json()["access_token"] == "xoxb-new"


# -- response_url ----------------------------------------------------------------------------------------------


def post_json(url: str, payload: Any) -> Raw:
    return request(url, json.dumps(payload).encode(), {"Content-Type": "application/json"})


def test_response_url_records_posts_and_allows_five(standin: SlackStandin) -> None:
    url = standin.new_response_url(channel_id="C1", user_id="U0REP")
    assert url.startswith(f"{standin.base_url}/response/")
    for i in range(5):
        answer = post_json(url, {"text": f"update {i}", "response_type": "ephemeral"})
        assert (answer.status, answer.body) == (200, b"ok")
    sixth = post_json(url, {"text": "one too many"})
    assert (sixth.status, sixth.body) == (404, b"used_url")
    posts = standin.response_posts(url)
    assert [p.payload.get("text") for p in posts] == [f"update {i}" for i in range(5)] + ["one too many"]
    assert [p.status for p in posts] == [200] * 5 + [404]
    assert posts[-1].error == "used_url"
    other = standin.new_response_url()
    post_json(other, {"text": "elsewhere"})
    assert len(standin.response_posts()) == 7
    assert len(standin.response_posts(other.rsplit("/", 1)[1])) == 1


def test_response_url_expires(timed: SlackStandin, clock: ManualClock) -> None:
    timed.response_url_ttl = 0.05
    url = timed.new_response_url()
    clock.advance(0.1)
    answer = post_json(url, {"text": "late"})
    assert (answer.status, answer.body) == (404, b"expired_url")
    assert request(f"{timed.base_url}/response/nope", b"{}").status == 404


def test_response_url_refusals_do_not_use_it_up(standin: SlackStandin) -> None:
    url = standin.new_response_url()
    invalid = post_json(url, {"text": "x", "blocks": [section("")]})
    assert (invalid.status, invalid.body) == (400, b"invalid_blocks")
    assert post_json(url, {"response_type": "ephemeral"}).body == b"no_text"
    assert request(url, b"{broken", {"Content-Type": "application/json"}).body == b"invalid_payload"
    for _ in range(5):
        assert post_json(url, {"text": "fine"}).status == 200


def test_response_url_replaces_and_deletes_the_original(web: WebClient, standin: SlackStandin) -> None:
    posted = web.chat_postMessage(channel="C1", text="Pick one", blocks=[section("Pick one")])
    url = standin.new_response_url(channel_id="C1", message_ts=posted["ts"])
    post_json(url, {"replace_original": True, "text": "Picked", "blocks": [section("Picked")]})
    (message,) = standin.messages("C1")
    assert message["text"] == "Picked"
    assert message["blocks"][0]["text"]["text"] == "Picked"
    post_json(url, {"delete_original": True})
    assert standin.messages("C1") == []


# -- faults ----------------------------------------------------------------------------------------------------


def test_fail_with_429_sends_retry_after(standin: SlackStandin) -> None:
    standin.fail("chat.postMessage", times=2)
    for _ in range(2):
        answer = call_json(standin, "chat.postMessage", {"channel": "C1", "text": "x"})
        assert answer.status == 429
        assert answer.headers["retry-after"] == "1"
        assert answer.json() == {"ok": False, "error": "ratelimited"}
    assert call_json(standin, "chat.postMessage", {"channel": "C1", "text": "x"}).status == 200
    assert [(c.status, c.error) for c in standin.calls("chat.postMessage")] == [
        (429, "ratelimited"),
        (429, "ratelimited"),
        (200, None),
    ]


def test_fail_with_server_errors(standin: SlackStandin) -> None:
    standin.fail("auth.test", status=500)
    internal = call_form(standin, "auth.test", {})
    assert (internal.status, internal.json()) == (500, {"ok": False, "error": "internal_error"})
    assert "retry-after" not in internal.headers
    standin.fail("auth.test", status=503, body="<html><body><h1>503 Service Unavailable</h1></body></html>")
    html = call_form(standin, "auth.test", {})
    assert html.status == 503
    assert html.headers["content-type"] == "text/html"
    assert html.body.startswith(b"<html>")
    standin.fail("auth.test", status=200, error="account_inactive")
    assert call_form(standin, "auth.test", {}).json() == {"ok": False, "error": "account_inactive"}
    standin.fail("*", status=502)
    assert call_form(standin, "users.info", {"user": "U0REP"}).status == 502
    assert call_form(standin, "users.info", {"user": "U0REP"}).status == 200


def test_web_client_retry_handlers_recover(standin: SlackStandin) -> None:
    client = WebClient(
        token=TOKEN,
        base_url=standin.api_url,
        retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=2), ServerErrorRetryHandler(max_retry_count=2)],
    )
    standin.fail("chat.postMessage", status=429, retry_after=0)  # Slack says at least 1; 0 keeps the test fast
    assert client.chat_postMessage(channel="C1", text="after a 429")["ok"] is True
    standin.fail("chat.postMessage", status=500)
    assert client.chat_postMessage(channel="C1", text="after a 500")["ok"] is True
    statuses = [c.status for c in standin.calls("chat.postMessage")]
    assert statuses == [429, 200, 500, 200]
    assert [m["text"] for m in standin.messages("C1")] == ["after a 429", "after a 500"]


def test_web_client_without_retries_sees_the_429(standin: SlackStandin) -> None:
    standin.fail("users.info")
    with pytest.raises(SlackApiError) as limited:
        WebClient(token=TOKEN, base_url=standin.api_url).users_info(user="U0REP")
    assert limited.value.response.status_code == 429
    assert limited.value.response.headers["Retry-After"] == "1"


def test_rate_limit_is_a_token_bucket(timed: SlackStandin, clock: ManualClock) -> None:
    timed.rate_limit("chat.postMessage", per_second=20, burst=2)
    answers = [call_json(timed, "chat.postMessage", {"channel": "C1", "text": "x"}) for _ in range(3)]
    assert [a.status for a in answers] == [200, 200, 429]
    assert answers[2].headers["retry-after"] == "1"  # whole seconds, at least one, like Slack
    clock.advance(0.06)
    assert call_json(timed, "chat.postMessage", {"channel": "C1", "text": "x"}).status == 200
    assert call_json(timed, "auth.test", {}).status == 200  # other methods are not limited
    timed.rate_limit("chat.postMessage", None)
    assert all(call_json(timed, "chat.postMessage", {"channel": "C1", "text": "x"}).status == 200 for _ in range(5))


def test_rate_limit_with_fractional_retry_after(timed: SlackStandin, clock: ManualClock) -> None:
    timed.rate_limit("users.info", per_second=10, retry_after_precision=0.01)
    assert call_form(timed, "users.info", {"user": "U0REP"}).status == 200
    limited = call_form(timed, "users.info", {"user": "U0REP"})
    assert limited.status == 429
    wait = float(limited.headers["retry-after"])
    assert 0 < wait <= 0.1
    clock.advance(wait + 0.01)
    assert call_form(timed, "users.info", {"user": "U0REP"}).status == 200


def test_latency(timed: SlackStandin, clock: ManualClock) -> None:
    timed.latency("auth.test", 0.2)
    assert call_form(timed, "auth.test", {}).status == 200
    assert clock.naps == [0.2]
    timed.latency("auth.test", 0)
    call_form(timed, "auth.test", {})
    assert clock.naps == [0.2]
    timed.latency("*", 0.1)
    timed.latency("users.info", 0.05, team_id="T0TEST")
    call_form(timed, "users.info", {"user": "U0REP"})
    assert clock.naps == [0.2, pytest.approx(0.15)]  # everyone's delay plus the workspace's own
    timed.clear_faults()
    call_form(timed, "users.info", {"user": "U0REP"})
    assert clock.naps == [0.2, pytest.approx(0.15)]


# -- recording -------------------------------------------------------------------------------------------------


def test_calls_are_frozen_records(timed: SlackStandin, clock: ManualClock) -> None:
    web = WebClient(token=TOKEN, base_url=timed.api_url)
    web.chat_postMessage(channel="C1", text="hello", blocks=[section("hello")])
    clock.advance(1)
    web.users_info(user="U0REP")
    first, second = timed.calls()
    assert (first.method, first.team_id, first.ok) == ("chat.postMessage", "T0TEST", True)
    assert first.params["blocks"] == [section("hello")]
    assert (first.at, second.at) == (1000.0, 1001.0)  # the stand-in's clock when each request arrived
    assert timed.calls("users.info")[0].params == {"user": "U0REP"}
    with pytest.raises(FrozenInstanceError):
        first.method = "other"  # type: ignore[misc]


def test_clear_keeps_setup_and_reset_forgets_it(web: WebClient, standin: SlackStandin) -> None:
    web.chat_postMessage(channel="U0REP", text="hi")
    standin.fail("auth.test", status=200, error="fatal_error", times=5)
    standin.clear()
    assert standin.calls() == []
    assert standin.messages() == []
    assert web.users_info(user="U0REP")["ok"] is True  # users survive clear()
    assert call_form(standin, "auth.test", {}).json()["error"] == "fatal_error"  # so do faults
    standin.reset()
    assert standin.calls() == []
    assert call_form(standin, "auth.test", {}).json()["ok"] is True  # the default workspace comes back
    with pytest.raises(SlackApiError):
        web.users_info(user="U0REP")


# -- running it on its own -------------------------------------------------------------------------------------


def test_module_runs_standalone() -> None:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "slack_standin",
            "--port",
            "0",
            "--team",
            "T0DEMO",
            "--token",
            "xoxb-demo",
            "--user",
            "U0REP:rep:Europe/Paris",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        api_url = process.stdout.readline().strip()
        assert api_url.startswith("http://127.0.0.1:") and api_url.endswith("/api/")
        client = WebClient(token="xoxb-demo", base_url=api_url)
        assert client.auth_test()["team_id"] == "T0DEMO"
        assert client.users_info(user="U0REP")["user"]["tz"] == "Europe/Paris"
    finally:
        process.terminate()
        process.communicate(timeout=10)
    assert process.returncode == 0


def test_wait_for_polls_until_the_app_has_acted(web: WebClient, standin: SlackStandin) -> None:
    later = threading.Timer(0.05, lambda: web.chat_postMessage(channel="U0REP", text="after the ack"))
    later.start()
    (message,) = standin.wait_for(lambda: standin.messages("D0REP"), timeout=5)
    assert message["text"] == "after the ack"
    later.join()
    with pytest.raises(TimeoutError, match=r"still false after 0\.05 s"):
        standin.wait_for(lambda: standin.messages("C0NEVER"), timeout=0.05)


def test_response_post_body_is_the_payload(standin: SlackStandin) -> None:
    url = standin.new_response_url()
    post_json(url, {"text": "hi", "response_type": "in_channel"})
    (post,) = standin.response_posts()
    assert post.body == post.payload == {"text": "hi", "response_type": "in_channel"}


def test_response_url_posts_show_up_where_slack_shows_them(standin: SlackStandin) -> None:
    url = standin.new_response_url(team_id="T0TEST", channel_id="C0DEALS", user_id="U0REP")
    post_json(url, {"text": "only you"})
    post_json(url, {"text": "everyone", "response_type": "in_channel", "blocks": [section("everyone")]})
    (ephemeral,) = standin.ephemeral_messages(channel="C0DEALS", user_id="U0REP")
    assert ephemeral["text"] == "only you"
    (shared,) = standin.messages("C0DEALS")
    assert shared["text"] == "everyone"
    assert shared["user"] == "UBOT"
    assert shared["blocks"][0]["block_id"]
