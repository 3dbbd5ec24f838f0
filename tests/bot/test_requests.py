"""The door: shapes checked before Bolt (also for Socket Mode), bounded ids, sealed metadata."""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import time
from collections.abc import Iterator
from urllib.parse import urlencode

import pytest
from hypothesis import given
from hypothesis import strategies as st
from slack_bolt.request import BoltRequest
from slack_sdk import WebClient
from sqlalchemy.orm import Session, sessionmaker

from bot import ids, untrusted
from bot.app import create_app
from bot.config import Settings
from bot.listeners.requests import BadRequest, check_body, too_deep
from bot.server import PersonaBotWSGI
from bot.services import Services
from slack_standin import SlackStandin
from tests.bot.test_fuzz_requests import InlineExecutor


def test_ids_are_positive_and_fit_64_bits() -> None:
    assert untrusted.parse_id("7") == 7 and untrusted.parse_id(2**63 - 1) == 2**63 - 1
    for bad in ("0", "-1", str(2**63), "9" * 30, "1e3", " 7", "٧", True, 7.0, None, [7]):
        assert untrusted.parse_id(bad) is None, bad


def test_metadata_is_sealed_per_view_and_any_change_is_refused() -> None:
    sealed = untrusted.seal("persona_checkin", {"r": 1, "p": [2, 3]})
    assert untrusted.unseal("persona_checkin", sealed) == {"r": 1, "p": [2, 3]}
    assert untrusted.unseal("persona_feedback", sealed) is None
    assert untrusted.unseal("persona_checkin", sealed.replace("[2,3]", "[2]")) is None
    assert untrusted.unseal("persona_checkin", json.dumps({"r": 1, "p": [2, 3]})) is None
    assert untrusted.unseal("persona_checkin", None) is None


def test_deep_nesting_is_refused_before_parsing() -> None:
    assert too_deep("[" * 49 + "]" * 49) and not too_deep('{"a": "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["}')
    with pytest.raises(BadRequest):
        check_body("[" * 100_000, "application/json")


def _depth(value: object) -> int:
    if isinstance(value, dict):
        return 1 + max(map(_depth, value.values()), default=0)
    if isinstance(value, list):
        return 1 + max(map(_depth, value), default=0)
    return 0


_TEXT = st.text(alphabet=st.sampled_from('ab"\\[]{}\né'), max_size=6)  # brackets, quotes and escapes in strings
_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | _TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_TEXT, inner, max_size=3),
    max_leaves=60,
)


@given(value=_JSON, limit=st.integers(min_value=0, max_value=12), indent=st.sampled_from([None, 1]))
def test_the_depth_check_agrees_with_the_parsed_value_whatever_the_strings_hold(
    value: object, limit: int, indent: int | None
) -> None:
    text = json.dumps(value, indent=indent, ensure_ascii=indent is None)
    assert too_deep(text, limit) is (_depth(value) > limit)


@pytest.mark.parametrize(
    "payload",
    [
        {"type": "block_actions", "team": {"id": "T1A"}, "user": {"id": "U1A"}, "actions": []},
        {
            "type": "view_submission",
            "team": {"id": "T1A"},
            "user": {"id": "U1A"},
            "view": {"callback_id": "x", "state": {"values": []}},
        },
        {"type": "block_actions", "user": {"id": "U1A"}, "actions": [{"action_id": "a"}]},
        {
            "type": "block_actions",
            "team": {"id": "T1A"},
            "user": {"id": "U1A"},
            "actions": [{"action_id": "a", "selected_option": "x"}],
        },
    ],
)
def test_wrong_shapes_are_refused(payload: dict[str, object]) -> None:
    with pytest.raises(BadRequest):
        check_body(json.dumps(payload), "application/json")


@pytest.fixture
def app_and_standin(sessions: sessionmaker[Session]) -> Iterator[tuple[object, SlackStandin]]:
    with SlackStandin(team_id="T1A", bot_token="xoxb-t") as standin:
        settings = Settings(slack_api_url=standin.api_url, slack_bot_token="xoxb-t", slack_signing_secret="s")
        services = Services.build(settings, sessions, InlineExecutor())
        yield create_app(settings, services, client=WebClient(token="xoxb-t", base_url=standin.api_url)), standin


def test_a_socket_mode_request_of_the_wrong_shape_gets_400_not_an_index_error(
    app_and_standin: tuple[object, SlackStandin],
) -> None:
    app, _ = app_and_standin
    body = {"type": "block_actions", "team": {"id": "T1A"}, "user": {"id": "U1A"}, "actions": [], "trigger_id": "t"}
    response = app.dispatch(BoltRequest(body=body, mode="socket_mode"))  # type: ignore[attr-defined]
    assert response.status == 400


def _signed_post(wsgi: PersonaBotWSGI, body: str, content_type: str) -> tuple[str, bytes]:
    timestamp = str(int(time.time()))
    digest = hmac.new(b"s", f"v0:{timestamp}:{body}".encode(), hashlib.sha256).hexdigest()
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/slack/events",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "CONTENT_TYPE": content_type,
        "CONTENT_LENGTH": str(len(body.encode())),
        "HTTP_X_SLACK_REQUEST_TIMESTAMP": timestamp,
        "HTTP_X_SLACK_SIGNATURE": f"v0={digest}",
        "wsgi.input": io.BytesIO(body.encode()),
    }
    status: list[str] = []
    data = b"".join(wsgi(environ, lambda line, _headers, _exc=None: status.append(line)))
    return status[0], data


def test_a_signed_body_is_parsed_once_by_the_door_and_bolt_reads_that(
    app_and_standin: tuple[object, SlackStandin], sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    import slack_bolt.request.request as bolt_request

    app, _ = app_and_standin
    parsed_again: list[str] = []
    original = bolt_request.parse_body
    monkeypatch.setattr(bolt_request, "parse_body", lambda raw, kind: parsed_again.append(raw) or original(raw, kind))
    wsgi = PersonaBotWSGI(app, sessions.kw["bind"], "s")  # type: ignore[arg-type]
    command = urlencode(
        {"command": "/persona", "text": "help", "team_id": "T1A", "user_id": "U1A", "channel_id": "C1A"}
    )
    status, data = _signed_post(wsgi, command, "application/x-www-form-urlencoded")
    assert status.startswith("200") and b"persona" in data.lower(), data
    submission = {  # a feedback form whose metadata was tampered with: the form says so, inline
        "type": "view_submission",
        "team": {"id": "T1A"},
        "user": {"id": "U1A", "team_id": "T1A"},
        "api_app_id": "A1",
        "trigger_id": "1.1.t",
        "view": {
            "id": "V1",
            "type": "modal",
            "team_id": "T1A",
            "app_id": "A1",
            "callback_id": ids.VIEW_FEEDBACK,
            "private_metadata": "{}",
            "hash": "1.h",
            "blocks": [],
            "state": {"values": {}},
        },
        "response_urls": [],
    }
    status, data = _signed_post(
        wsgi, urlencode({"payload": json.dumps(submission)}), "application/x-www-form-urlencoded"
    )
    assert status.startswith("200") and json.loads(data)["response_action"] == "errors", data
    assert [raw for raw in parsed_again if raw] == [], "Bolt never parses a body the door has parsed"
    status, _ = _signed_post(wsgi, command.replace("help", "h" * 10), "application/x-www-form-urlencoded; charset=x")
    assert status.startswith("200"), "a content type with parameters is read as Bolt reads it"
