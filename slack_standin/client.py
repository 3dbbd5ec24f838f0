"""Send our app what Slack sends it: signed slash commands, interactivity payloads and events.

Formats follow Slack: commands are form-encoded, interactivity is form-encoded `payload=<json>`, events are JSON;
each request carries `X-Slack-Request-Timestamp` and `X-Slack-Signature` = `v0=` + HMAC-SHA256 of
`v0:{timestamp}:{raw body}`. Trigger ids and response_urls come from the stand-in when one is given, so the
app's `views.open` and `respond()` land somewhere real.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import http.client
import itertools
import json
import secrets
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any
from urllib.parse import urlencode, urlsplit

from slack_standin.blocks import elements_of
from slack_standin.server import DEFAULT_APP_ID, SlackStandin
from slack_standin.state import dm_channel_id

__all__ = ["Response", "SignedSlackClient", "state_values"]

DEFAULT_USER = "U0REP"
DEFAULT_CHANNEL = "C0GENERAL"
VERIFICATION_TOKEN = "standin-verification-token"  # deprecated by Slack, still sent in every payload
_UNANSWERED = object()

# element type -> (key in state.values, key of the initial value a person leaves untouched)
_STATE_KEYS: dict[str, tuple[str, str | None]] = {
    "plain_text_input": ("value", "initial_value"),
    "email_text_input": ("value", "initial_value"),
    "url_text_input": ("value", "initial_value"),
    "number_input": ("value", "initial_value"),
    "static_select": ("selected_option", "initial_option"),
    "external_select": ("selected_option", "initial_option"),
    "radio_buttons": ("selected_option", "initial_option"),
    "multi_static_select": ("selected_options", "initial_options"),
    "multi_external_select": ("selected_options", "initial_options"),
    "checkboxes": ("selected_options", "initial_options"),
    "users_select": ("selected_user", "initial_user"),
    "multi_users_select": ("selected_users", "initial_users"),
    "conversations_select": ("selected_conversation", "initial_conversation"),
    "multi_conversations_select": ("selected_conversations", "initial_conversations"),
    "channels_select": ("selected_channel", "initial_channel"),
    "multi_channels_select": ("selected_channels", "initial_channels"),
    "datepicker": ("selected_date", "initial_date"),
    "timepicker": ("selected_time", "initial_time"),
    "datetimepicker": ("selected_date_time", "initial_date_time"),
    "rich_text_input": ("rich_text_value", "initial_value"),
    "file_input": ("files", None),
}
_OPTION_KEYS = {"selected_option", "selected_options"}


@dataclass(frozen=True)
class Response:
    """What our app answered."""

    status: int
    body: bytes
    headers: Mapping[str, str] = field(default_factory=dict)  # names lower-cased

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def json(self) -> Any:
        return json.loads(self.body)


class SignedSlackClient:
    """Posts to `{app_url}/slack/events` the way Slack does; one keep-alive connection per thread."""

    def __init__(
        self,
        app_url: str,
        signing_secret: str,
        standin: SlackStandin | None = None,
        team_id: str = "T0TEST",
        *,
        api_app_id: str = DEFAULT_APP_ID,
        path: str = "/slack/events",
        timeout: float = 30.0,
    ) -> None:
        parts = urlsplit(app_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"app_url must be an http(s) URL, not {app_url!r}")
        self.app_url = app_url.rstrip("/")
        self.signing_secret = signing_secret
        self.standin = standin
        self.team_id = team_id
        self.api_app_id = api_app_id
        self.timeout = timeout
        self._scheme = parts.scheme
        self._host = parts.hostname
        self._port = parts.port
        self._path = parts.path.rstrip("/") + path
        self._local = threading.local()
        self._connections: list[http.client.HTTPConnection] = []
        self._connections_lock = threading.Lock()
        self._counter = itertools.count(1)

    # -- connections ---------------------------------------------------------------------------------------

    def close(self) -> None:
        with self._connections_lock:
            connections, self._connections = self._connections, []
        for conn in connections:
            conn.close()
        self._local = threading.local()

    def __enter__(self) -> SignedSlackClient:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _connection(self) -> tuple[http.client.HTTPConnection, bool]:
        conn: http.client.HTTPConnection | None = getattr(self._local, "conn", None)
        if conn is not None:
            return conn, False
        if self._scheme == "https":
            conn = http.client.HTTPSConnection(self._host, self._port, timeout=self.timeout)
        else:
            conn = http.client.HTTPConnection(self._host, self._port, timeout=self.timeout)
        self._local.conn = conn
        with self._connections_lock:
            self._connections.append(conn)
        return conn, True

    def _drop(self, conn: http.client.HTTPConnection) -> None:
        conn.close()
        self._local.conn = None
        with self._connections_lock:
            if conn in self._connections:
                self._connections.remove(conn)

    def _send(self, body: bytes, headers: Mapping[str, str]) -> Response:
        while True:
            conn, fresh = self._connection()
            try:
                conn.request("POST", self._path, body=body, headers=dict(headers))
                answer = conn.getresponse()
                data = answer.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self._drop(conn)
                if fresh:
                    raise
                continue  # the server closed an idle keep-alive connection before reading; resend once, fresh
            except BaseException:
                self._drop(conn)
                raise
            if answer.will_close:
                self._drop(conn)
            return Response(answer.status, data, {k.lower(): v for k, v in answer.getheaders()})

    # -- signing -------------------------------------------------------------------------------------------

    def sign(self, body: bytes, timestamp: int | str, secret: str | None = None) -> str:
        """`v0=` + HMAC-SHA256(secret, `v0:{timestamp}:{body}`), as in `X-Slack-Signature`."""
        key = (secret if secret is not None else self.signing_secret).encode("utf-8")
        base = b"v0:" + str(timestamp).encode("ascii") + b":" + body
        return "v0=" + hmac.new(key, base, hashlib.sha256).hexdigest()

    def raw(
        self,
        body: bytes,
        content_type: str,
        *,
        signature: str | None = None,
        timestamp: int | str | None = None,
        sign: bool = True,
        secret: str | None = None,
        headers: Mapping[str, str | None] | None = None,
    ) -> Response:
        """Send `body` as it is. For hostile tests: `sign=False` sends neither signature nor timestamp,
        `secret` signs with another secret, `timestamp` fakes the clock (signed with it), `signature` sends that
        header verbatim, and `headers` adds or (with None) removes headers."""
        ts = str(int(time.time())) if timestamp is None else str(timestamp)
        sent: dict[str, str] = {
            "Content-Type": content_type,
            "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
        }
        if sign:
            sent["X-Slack-Request-Timestamp"] = ts
            sent["X-Slack-Signature"] = signature if signature is not None else self.sign(body, ts, secret)
        for name, value in (headers or {}).items():
            for existing in [k for k in sent if k.lower() == name.lower()]:
                del sent[existing]
            if value is not None:
                sent[name] = value
        return self._send(body, sent)

    def send_form(self, fields: Mapping[str, str], headers: Mapping[str, str | None] | None = None) -> Response:
        return self.raw(urlencode(fields).encode("utf-8"), "application/x-www-form-urlencoded", headers=headers)

    def send_json(self, payload: Mapping[str, Any], headers: Mapping[str, str | None] | None = None) -> Response:
        return self.raw(json.dumps(payload).encode("utf-8"), "application/json", headers=headers)

    def interaction(self, payload: Mapping[str, Any]) -> Response:
        """Any interactivity payload, form-encoded as `payload=<json>`."""
        return self.send_form({"payload": json.dumps(payload)})

    # -- pieces of payloads --------------------------------------------------------------------------------

    def _team(self, team_id: str | None) -> str:
        return team_id or self.team_id

    def _user(self, user_id: str, team_id: str) -> dict[str, Any]:
        name = user_id.lower()
        if self.standin is not None:
            info = self.standin.user_info(team_id, user_id)
            if info is not None:
                name = info["name"]
        return {"id": user_id, "username": name, "name": name, "team_id": team_id}

    def _team_obj(self, team_id: str) -> dict[str, Any]:
        return {"id": team_id, "domain": team_id.lower()}

    def _envelope(self, kind: str, team_id: str, user_id: str) -> dict[str, Any]:
        """The fields every interactivity payload carries: its type, who, where, and the verification token."""
        return {
            "type": kind,
            "token": VERIFICATION_TOKEN,
            "team": self._team_obj(team_id),
            "user": self._user(user_id, team_id),
            "is_enterprise_install": False,
            "enterprise": None,
        }

    def _trigger_id(self, user_id: str, team_id: str) -> str:
        if self.standin is not None:
            return self.standin.new_trigger_id(user_id=user_id, team_id=team_id)
        return f"{next(self._counter)}.{int(time.time())}.{secrets.token_hex(16)}"

    def _response_url(self, team_id: str, channel_id: str | None, user_id: str, message_ts: str | None = None) -> str:
        if self.standin is not None:
            return self.standin.new_response_url(team_id, channel_id, user_id, message_ts)
        return f"https://hooks.slack.com/actions/{team_id}/{next(self._counter)}/{secrets.token_hex(12)}"

    @staticmethod
    def _action_ts() -> str:
        return f"{time.time():.6f}"

    # -- what Slack sends ----------------------------------------------------------------------------------

    def command(
        self,
        text: str,
        command: str = "/persona",
        user_id: str = DEFAULT_USER,
        channel_id: str = DEFAULT_CHANNEL,
        channel_name: str | None = None,
        *,
        team_id: str | None = None,
    ) -> Response:
        team = self._team(team_id)
        user = self._user(user_id, team)
        fields = {
            "token": VERIFICATION_TOKEN,
            "team_id": team,
            "team_domain": team.lower(),
            "channel_id": channel_id,
            "channel_name": channel_name or _channel_obj(channel_id)["name"],
            "user_id": user_id,
            "user_name": user["name"],
            "command": command,
            "text": text,
            "api_app_id": self.api_app_id,
            "is_enterprise_install": "false",
            "response_url": self._response_url(team, channel_id, user_id),
            "trigger_id": self._trigger_id(user_id, team),
        }
        return self.send_form(fields)

    def block_action(
        self,
        action_id: str,
        value: str | None = None,
        *,
        block_id: str | None = None,
        user_id: str = DEFAULT_USER,
        team_id: str | None = None,
        message: Mapping[str, Any] | None = None,
        channel_id: str | None = None,
        view: Mapping[str, Any] | None = None,
        container: Mapping[str, Any] | None = None,
        selected_option: Mapping[str, Any] | str | None = None,
        selected_options: Sequence[Mapping[str, Any] | str] | None = None,
        action_type: str | None = None,
        action_fields: Mapping[str, Any] | None = None,
        response_url: bool | str = True,
    ) -> Response:
        """A click (or selection) on `action_id` in `message` or `view`.

        The element is looked up in the message's or view's blocks, so its type, text, block_id and value
        come from what the app built; a `selected_option` given as a string is the option's value.
        """
        team = self._team(team_id)
        surface = view if view is not None else message
        found = _find_element(surface.get("blocks") or [] if surface else [], action_id, block_id)
        element_block_id, element = found if found else (block_id or "standin_block", {})
        kind = action_type or element.get("type") or ("static_select" if selected_option is not None else "button")
        action: dict[str, Any] = {"action_id": action_id, "block_id": element_block_id, "type": kind}
        if kind == "button":
            action["text"] = element.get("text") or {"type": "plain_text", "text": action_id, "emoji": True}
            chosen = value if value is not None else element.get("value")
            if chosen is not None:
                action["value"] = chosen
            if element.get("style"):
                action["style"] = element["style"]
        elif value is not None:
            action["value"] = value
        if selected_option is not None:
            action["selected_option"] = _option_for(element, selected_option)
        if selected_options is not None:
            action["selected_options"] = [_option_for(element, o) for o in selected_options]
        action.update(action_fields or {})
        action["action_ts"] = self._action_ts()

        payload: dict[str, Any] = {
            **self._envelope("block_actions", team, user_id),
            "api_app_id": self.api_app_id,
            "trigger_id": self._trigger_id(user_id, team),
            "actions": [action],
        }
        channel = channel_id or (str(message["channel"]) if message and message.get("channel") else None)
        if container is not None:
            payload["container"] = dict(container)
        elif view is not None:
            payload["container"] = {"type": "view", "view_id": view.get("id")}
        elif message is not None:
            payload["container"] = {
                "type": "message",
                "message_ts": message.get("ts"),
                "channel_id": channel,
                "is_ephemeral": False,
            }
        if view is not None:
            payload["view"] = copy.deepcopy(dict(view))
            payload["state"] = copy.deepcopy(view.get("state") or {"values": {}})
        else:
            payload["state"] = {"values": {}}
        if message is not None:
            payload["message"] = {k: v for k, v in copy.deepcopy(dict(message)).items() if k != "channel"}
        if channel is not None:
            payload["channel"] = _channel_obj(channel)
        if view is None and response_url:
            message_ts = str(message["ts"]) if message and message.get("ts") else None
            payload["response_url"] = (
                response_url
                if isinstance(response_url, str)
                else self._response_url(team, channel, user_id, message_ts)
            )
        return self.interaction(payload)

    def view_submission(
        self,
        view: Mapping[str, Any],
        values: Mapping[str, Mapping[str, Any]],
        user_id: str = DEFAULT_USER,
        *,
        team_id: str | None = None,
    ) -> Response:
        """Submit `view` with `values` as its `state.values` (block_id -> action_id -> value object)."""
        team = self._team(team_id)
        submitted = copy.deepcopy(dict(view))
        submitted["state"] = {"values": copy.deepcopy(dict(values))}
        payload = {
            **self._envelope("view_submission", team, user_id),
            "api_app_id": self.api_app_id,
            "trigger_id": self._trigger_id(user_id, team),
            "view": submitted,
            "response_urls": [],
        }
        return self.interaction(payload)

    def view_submission_from(
        self,
        view: Mapping[str, Any],
        answers: Mapping[str | tuple[str, str], Any],
        user_id: str = DEFAULT_USER,
        *,
        team_id: str | None = None,
    ) -> Response:
        """Fill in the opened `view` like a person would: `answers` maps an action_id (or a (block_id,
        action_id) pair) to a plain answer (text, option value, user id, list of values…); untouched inputs
        submit their initial value, as Slack does."""
        return self.view_submission(view, state_values(view, answers), user_id, team_id=team_id)

    def view_closed(
        self,
        view: Mapping[str, Any],
        user_id: str = DEFAULT_USER,
        *,
        team_id: str | None = None,
        is_cleared: bool = False,
    ) -> Response:
        team = self._team(team_id)
        payload = {
            **self._envelope("view_closed", team, user_id),
            "api_app_id": self.api_app_id,
            "view": copy.deepcopy(dict(view)),
            "is_cleared": is_cleared,
        }
        return self.interaction(payload)

    def message_shortcut(
        self,
        callback_id: str,
        message: Mapping[str, Any],
        channel_id: str = DEFAULT_CHANNEL,
        user_id: str = DEFAULT_USER,
        *,
        team_id: str | None = None,
    ) -> Response:
        team = self._team(team_id)
        payload = {
            **self._envelope("message_action", team, user_id),
            "action_ts": self._action_ts(),
            "channel": _channel_obj(channel_id),
            "callback_id": callback_id,
            "trigger_id": self._trigger_id(user_id, team),
            "response_url": self._response_url(team, channel_id, user_id),
            "message_ts": message.get("ts"),
            "message": {"type": "message", **copy.deepcopy(dict(message))},
        }
        return self.interaction(payload)

    def global_shortcut(self, callback_id: str, user_id: str = DEFAULT_USER, *, team_id: str | None = None) -> Response:
        team = self._team(team_id)
        payload = {
            **self._envelope("shortcut", team, user_id),
            "action_ts": self._action_ts(),
            "callback_id": callback_id,
            "trigger_id": self._trigger_id(user_id, team),
        }
        return self.interaction(payload)

    def event(
        self,
        event: Mapping[str, Any],
        retry_num: int | None = None,
        retry_reason: str | None = None,
        event_id: str | None = None,
        *,
        team_id: str | None = None,
    ) -> Response:
        """An Events API delivery of `event` in its `event_callback` envelope; a retry when `retry_num` is set."""
        team = self._team(team_id)
        bot_user_id = "UBOT"
        if self.standin is not None:
            bot_user_id = self.standin.bot_user_id(team) or bot_user_id
        inner = {"event_ts": self._action_ts(), **copy.deepcopy(dict(event))}
        payload = {
            "token": VERIFICATION_TOKEN,
            "team_id": team,
            "api_app_id": self.api_app_id,
            "event": inner,
            "type": "event_callback",
            "event_id": event_id or f"Ev{secrets.token_hex(5).upper()}",
            "event_time": int(time.time()),
            "authorizations": [
                {
                    "enterprise_id": None,
                    "team_id": team,
                    "user_id": bot_user_id,
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
            "is_ext_shared_channel": False,
        }
        headers: dict[str, str | None] = {}
        if retry_num is not None:
            headers["X-Slack-Retry-Num"] = str(retry_num)
            headers["X-Slack-Retry-Reason"] = retry_reason or "http_timeout"
        return self.send_json(payload, headers)

    def app_home_opened(
        self, user_id: str = DEFAULT_USER, *, tab: str = "home", team_id: str | None = None
    ) -> Response:
        event = {"type": "app_home_opened", "user": user_id, "channel": dm_channel_id(user_id), "tab": tab}
        return self.event(event, team_id=team_id)

    def url_verification(self, challenge: str) -> Response:
        return self.send_json({"token": VERIFICATION_TOKEN, "challenge": challenge, "type": "url_verification"})


def _channel_obj(channel_id: str) -> dict[str, str]:
    """A conversation as payloads name it: a DM is `directmessage`; any channel the stand-in's is `general`."""
    return {"id": channel_id, "name": "directmessage" if channel_id.startswith("D") else "general"}


def state_values(view: Mapping[str, Any], answers: Mapping[str | tuple[str, str], Any]) -> dict[str, dict[str, Any]]:
    """`state.values` for `view` as Slack would send it after a person gave `answers`."""
    remaining = dict(answers)
    values: dict[str, dict[str, Any]] = {}
    for block in view.get("blocks") or []:
        if not isinstance(block, Mapping):
            continue
        for element in _stateful_elements(block):
            block_id, action_id = block.get("block_id"), element.get("action_id")
            key: str | tuple[str, str] | None = None
            if isinstance(block_id, str) and isinstance(action_id, str):
                if (block_id, action_id) in remaining:
                    key = (block_id, action_id)
                elif action_id in remaining:
                    key = action_id
            answer = remaining.pop(key) if key is not None else _UNANSWERED
            if block.get("type") != "input" and answer is _UNANSWERED:
                continue  # only input blocks always report; other elements only once someone used them
            if not isinstance(block_id, str) or not isinstance(action_id, str):
                raise ValueError("an input block lacks block_id or action_id; use the view the stand-in stored")
            values.setdefault(block_id, {})[action_id] = _value_object(element, answer)
    if remaining:
        raise KeyError(f"no input in the view answers {sorted(map(str, remaining))}")
    return values


def _stateful_elements(block: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [e for e in elements_of(block) if isinstance(e, Mapping) and e.get("type") in _STATE_KEYS]


def _value_object(element: Mapping[str, Any], answer: Any) -> dict[str, Any]:
    kind = str(element["type"])
    state_key, initial_key = _STATE_KEYS[kind]
    many = state_key.endswith("s") and state_key != "files"
    if answer is _UNANSWERED:
        value: Any = element.get(initial_key) if initial_key else None
        if value is None and (many or state_key == "files"):
            value = []
        if state_key == "value" and value is not None:
            value = str(value)
        return {"type": kind, state_key: copy.deepcopy(value)}
    if state_key in _OPTION_KEYS:
        if many:
            items = [answer] if isinstance(answer, (str, Mapping)) else list(answer)
            value = [_option_for(element, a) for a in items]
        else:
            value = _option_for(element, answer)
    elif state_key == "rich_text_value" and isinstance(answer, str):
        section = {"type": "rich_text_section", "elements": [{"type": "text", "text": answer}]}
        value = {"type": "rich_text", "elements": [section]}
    elif state_key == "value":
        value = None if answer is None else str(answer)
    elif many and isinstance(answer, str):
        value = [answer]
    else:
        value = answer
    return {"type": kind, state_key: copy.deepcopy(value)}


def _all_options(element: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    options = list(element.get("options") or [])
    for group in element.get("option_groups") or []:
        options.extend(group.get("options") or [])
    return options


def _option_for(element: Mapping[str, Any], answer: Mapping[str, Any] | str) -> dict[str, Any]:
    if isinstance(answer, Mapping):
        return copy.deepcopy(dict(answer))
    options = _all_options(element)
    for option in options:
        if option.get("value") == answer:
            return copy.deepcopy(dict(option))
    if options:
        listed = [o.get("value") for o in options]
        raise ValueError(f"{answer!r} is not an option of {element.get('action_id')!r}; it offers {listed}")
    # External selects carry no options in the view: make the option the app's options handler would have.
    return {"text": {"type": "plain_text", "text": answer, "emoji": True}, "value": answer}


def _find_element(blocks: Sequence[Any], action_id: str, block_id: str | None) -> tuple[str, Mapping[str, Any]] | None:
    for block in blocks:
        if not isinstance(block, Mapping) or (block_id is not None and block.get("block_id") != block_id):
            continue
        for element in elements_of(block):
            if isinstance(element, Mapping) and element.get("action_id") == action_id:
                return str(block.get("block_id") or block_id or "standin_block"), element
    return None
