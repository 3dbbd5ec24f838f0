"""The signed client sends what Slack sends, signed the way Slack signs; and the e2e harness runs an app process."""

from __future__ import annotations

import http.client
import json
import socket
import sys
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from socketserver import ThreadingMixIn
from typing import Any
from urllib.parse import parse_qs, urlsplit
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest
from slack_bolt import Ack, App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient
from slack_sdk.signature import SignatureVerifier

from slack_standin import SignedSlackClient, SlackStandin
from slack_standin.client import state_values
from tests.e2e.harness import BotProcess, BotProcessError, free_port

SECRET = "standin-signing-secret"
Json = dict[str, Any]


@dataclass(frozen=True)
class Received:
    headers: dict[str, str]
    body: bytes
    client_port: int

    def form(self) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(self.body.decode(), keep_blank_values=True).items()}

    def payload(self) -> Json:
        parsed: Json = json.loads(self.form()["payload"])
        return parsed

    def json(self) -> Json:
        parsed: Json = json.loads(self.body)
        return parsed


class _RecorderServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # the default backlog of 5 drops simultaneous connects (a 1 s SYN retry each)


class Recorder:
    """A stand-in for our app: verifies signatures like Bolt (401 when wrong) and keeps every request."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.lock = threading.Lock()
        self.verifier = SignatureVerifier(SECRET)
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {k.lower(): v for k, v in self.headers.items()}
                with recorder.lock:
                    recorder.received.append(Received(headers, body, self.client_address[1]))
                status = 200 if recorder.valid(body, headers) else 401
                answer = b"" if status == 200 else b'{"error": "invalid request"}'
                self.send_response(status)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

        self.server = _RecorderServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def valid(self, body: bytes, headers: dict[str, str]) -> bool:
        try:
            return self.verifier.is_valid(
                body, headers.get("x-slack-request-timestamp"), headers.get("x-slack-signature")
            )
        except ValueError:  # a timestamp that is not a number
            return False

    @property
    def last(self) -> Received:
        with self.lock:
            return self.received[-1]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def standin() -> Iterator[SlackStandin]:
    with SlackStandin() as s:
        s.add_user("T0TEST", "U0REP", "rep", "Rita Rep")
        yield s


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    rec = Recorder()
    yield rec
    rec.close()


@pytest.fixture
def client(recorder: Recorder, standin: SlackStandin) -> Iterator[SignedSlackClient]:
    with SignedSlackClient(recorder.url, SECRET, standin) as c:
        yield c


@pytest.fixture
def web(standin: SlackStandin) -> WebClient:
    return WebClient(token="xoxb-test", base_url=standin.api_url)


def pt(text: str) -> Json:
    return {"type": "plain_text", "text": text}


def option(value: str) -> Json:
    return {"text": pt(value.title()), "value": value}


def survey_modal() -> Json:
    def field(block_id: str, element: Json, label: str | None = None) -> Json:
        return {"type": "input", "block_id": block_id, "label": pt(label or block_id), "element": element}

    return {
        "type": "modal",
        "callback_id": "persona_survey",
        "private_metadata": json.dumps({"persona": 7}),
        "title": pt("Persona survey"),
        "submit": pt("Send"),
        "blocks": [
            field("name", {"type": "plain_text_input", "action_id": "value"}),
            field("notes", {"type": "plain_text_input", "action_id": "value", "multiline": True}),
            field(
                "segment",
                {"type": "static_select", "action_id": "choice", "options": [option("smb"), option("enterprise")]},
            ),
            field("mood", {"type": "radio_buttons", "action_id": "choice", "options": [option("up"), option("down")]}),
            field("tags", {"type": "checkboxes", "action_id": "picked", "options": [option("a"), option("b")]}),
            field("owner", {"type": "users_select", "action_id": "who"}),
            field("due", {"type": "datepicker", "action_id": "when", "initial_date": "2026-01-15"}),
            field("size", {"type": "plain_text_input", "action_id": "count", "initial_value": "12"}),
        ],
    }


def _http(method: str, url: str, payload: Json | None = None) -> str:
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=5)
    try:
        body = json.dumps(payload).encode() if payload is not None else None
        conn.request(method, parts.path or "/", body=body, headers={"Content-Type": "application/json"})
        return conn.getresponse().read().decode()
    finally:
        conn.close()


# -- signing ---------------------------------------------------------------------------------------------------


def test_every_request_is_signed_like_slack(client: SignedSlackClient, recorder: Recorder) -> None:
    assert client.command("hello").status == 200
    received = recorder.last
    timestamp = received.headers["x-slack-request-timestamp"]
    assert abs(int(timestamp) - time.time()) < 5
    assert SignatureVerifier(SECRET).is_valid(received.body, timestamp, received.headers["x-slack-signature"])
    assert received.headers["x-slack-signature"] == client.sign(received.body, timestamp)
    assert client.sign(b"body", 1) == client.sign(b"body", "1")
    assert client.sign(b"body", 1).startswith("v0=")


def test_hostile_requests(client: SignedSlackClient, recorder: Recorder) -> None:
    body = b"command=%2Fpersona&text=hi"
    form = "application/x-www-form-urlencoded"
    unsigned = client.raw(body, form, sign=False)
    assert unsigned.status == 401
    assert "x-slack-signature" not in recorder.last.headers
    assert "x-slack-request-timestamp" not in recorder.last.headers
    assert client.raw(body, form, secret="not-the-secret").status == 401
    replayed = client.raw(body, form, timestamp=int(time.time()) - 6 * 60)  # signed correctly, but stale
    assert replayed.status == 401
    assert recorder.last.headers["x-slack-signature"] == client.sign(
        body, recorder.last.headers["x-slack-request-timestamp"]
    )
    assert client.raw(body, form, timestamp="yesterday").status == 401
    assert client.raw(body, form, signature="v0=" + "0" * 64).status == 401
    no_timestamp = client.raw(body, form, headers={"X-Slack-Request-Timestamp": None})
    assert no_timestamp.status == 401
    assert "x-slack-request-timestamp" not in recorder.last.headers
    assert "x-slack-signature" in recorder.last.headers
    malformed = client.raw(b"payload=%7Bnot json", form)
    assert malformed.status == 200  # correctly signed garbage: what the app does with it is the app's test
    assert recorder.last.body == b"payload=%7Bnot json"


def test_keep_alive_connection_per_thread(client: SignedSlackClient, recorder: Recorder) -> None:
    def send() -> None:
        for _ in range(10):
            assert client.url_verification("c").status == 200

    threads = [threading.Thread(target=send) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(recorder.received) == 200
    assert len({r.client_port for r in recorder.received}) == 20


def test_response_helpers(client: SignedSlackClient) -> None:
    answer = client.url_verification("abc")
    assert answer.text == ""
    assert answer.headers["content-length"] == "0"
    raw = client.raw(b"x", "text/plain", sign=False)
    assert raw.json() == {"error": "invalid request"}


# -- what Slack sends ------------------------------------------------------------------------------------------


def test_slash_command(client: SignedSlackClient, recorder: Recorder, standin: SlackStandin, web: WebClient) -> None:
    client.command("edit Ada", user_id="U0REP", channel_id="C0SALES", channel_name="sales")
    received = recorder.last
    assert received.headers["content-type"] == "application/x-www-form-urlencoded"
    form = received.form()
    assert form["command"] == "/persona"
    assert form["text"] == "edit Ada"
    assert (form["team_id"], form["user_id"], form["user_name"]) == ("T0TEST", "U0REP", "rep")
    assert (form["channel_id"], form["channel_name"]) == ("C0SALES", "sales")
    assert form["api_app_id"] and form["is_enterprise_install"] == "false"
    # The trigger and the response_url are real ones on the stand-in.
    assert web.views_open(trigger_id=form["trigger_id"], view=survey_modal())["ok"] is True
    assert standin.last_view("U0REP") is not None
    assert form["response_url"].startswith(standin.base_url + "/response/")


def test_block_action_on_a_message(
    client: SignedSlackClient, recorder: Recorder, standin: SlackStandin, web: WebClient
) -> None:
    blocks: list[Json] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": "Is Ada still right?"}},
        {
            "type": "actions",
            "block_id": "review",
            "elements": [
                {"type": "button", "action_id": "confirm", "text": pt("Yes"), "value": "persona-7", "style": "primary"},
                {"type": "static_select", "action_id": "segment", "options": [option("smb"), option("enterprise")]},
            ],
        },
    ]
    posted = web.chat_postMessage(channel="U0REP", text="Is Ada still right?", blocks=blocks)
    (message,) = standin.messages("D0REP")
    client.block_action("confirm", message=message, user_id="U0REP")
    payload = recorder.last.payload()
    assert payload["type"] == "block_actions"
    (action,) = payload["actions"]
    assert action["action_id"] == "confirm"
    assert action["block_id"] == "review"
    assert action["type"] == "button"
    assert action["value"] == "persona-7"  # taken from the button the app built
    assert action["text"] == pt("Yes")
    assert payload["container"] == {
        "type": "message",
        "message_ts": posted["ts"],
        "channel_id": "D0REP",
        "is_ephemeral": False,
    }
    assert payload["channel"]["id"] == "D0REP"
    assert payload["message"]["ts"] == posted["ts"]
    assert payload["user"]["id"] == "U0REP"
    # The response_url knows the message, so replace_original acts on it, as in Slack.
    assert _http("POST", payload["response_url"], {"replace_original": True, "text": "Thanks!"}) == "ok"
    assert standin.messages("D0REP")[0]["text"] == "Thanks!"

    client.block_action("segment", selected_option="enterprise", message=message, user_id="U0REP")
    (select,) = recorder.last.payload()["actions"]
    assert select["type"] == "static_select"
    assert select["selected_option"] == option("enterprise")
    with pytest.raises(ValueError, match="not an option"):
        client.block_action("segment", selected_option="nope", message=message)


def test_block_action_in_a_view(
    client: SignedSlackClient, recorder: Recorder, standin: SlackStandin, web: WebClient
) -> None:
    view = web.views_open(trigger_id=standin.new_trigger_id("U0REP"), view=survey_modal())["view"]
    client.block_action("value", "typed", block_id="name", view=view, user_id="U0REP", action_type="plain_text_input")
    payload = recorder.last.payload()
    assert payload["container"] == {"type": "view", "view_id": view["id"]}
    assert payload["view"]["id"] == view["id"]
    assert "response_url" not in payload
    assert payload["actions"][0]["block_id"] == "name"
    assert payload["actions"][0]["value"] == "typed"
    assert web.views_update(view_id=view["id"], view=survey_modal())["ok"] is True
    # trigger ids in interactions are live too: a push from a button inside the modal works
    assert web.views_push(trigger_id=payload["trigger_id"], view=survey_modal())["ok"] is True


def test_view_submission_from_fills_in_the_modal(
    client: SignedSlackClient, recorder: Recorder, standin: SlackStandin, web: WebClient
) -> None:
    web.views_open(trigger_id=standin.new_trigger_id("U0REP"), view=survey_modal())
    opened = standin.last_view("U0REP")
    assert opened is not None
    client.view_submission_from(
        opened,
        {
            ("name", "value"): "Ada Lovelace",
            ("notes", "value"): "Writes the first program",
            ("segment", "choice"): "enterprise",
            ("mood", "choice"): "up",
            "picked": ["a", "b"],
            "who": "U0REP",
        },
        user_id="U0REP",
    )
    payload = recorder.last.payload()
    assert payload["type"] == "view_submission"
    view = payload["view"]
    assert (view["id"], view["hash"]) == (opened["id"], opened["hash"])
    assert view["callback_id"] == "persona_survey"
    assert json.loads(view["private_metadata"]) == {"persona": 7}
    values = view["state"]["values"]
    assert values["name"]["value"] == {"type": "plain_text_input", "value": "Ada Lovelace"}
    assert values["notes"]["value"]["value"] == "Writes the first program"
    assert values["segment"]["choice"] == {"type": "static_select", "selected_option": option("enterprise")}
    assert values["mood"]["choice"] == {"type": "radio_buttons", "selected_option": option("up")}
    assert values["tags"]["picked"] == {"type": "checkboxes", "selected_options": [option("a"), option("b")]}
    assert values["owner"]["who"] == {"type": "users_select", "selected_user": "U0REP"}
    # untouched inputs submit what they showed
    assert values["due"]["when"] == {"type": "datepicker", "selected_date": "2026-01-15"}
    assert values["size"]["count"] == {"type": "plain_text_input", "value": "12"}
    assert payload["response_urls"] == []


def test_state_values_shapes_and_mistakes() -> None:
    view = survey_modal()
    empty = state_values(view, {})
    assert empty["name"]["value"] == {"type": "plain_text_input", "value": None}
    assert empty["segment"]["choice"] == {"type": "static_select", "selected_option": None}
    assert empty["tags"]["picked"] == {"type": "checkboxes", "selected_options": []}
    assert empty["owner"]["who"] == {"type": "users_select", "selected_user": None}
    with pytest.raises(KeyError, match="nickname"):
        state_values(view, {"nickname": "x"})
    with pytest.raises(ValueError, match="not an option"):
        state_values(view, {("segment", "choice"): "galactic"})
    unnamed = {"type": "modal", "blocks": [{"type": "input", "element": {"type": "plain_text_input"}}]}
    with pytest.raises(ValueError, match="block_id"):
        state_values(unnamed, {})


def test_view_closed_and_shortcuts(client: SignedSlackClient, recorder: Recorder) -> None:
    view = {"id": "V1", "hash": "1.a", "callback_id": "persona_survey", "type": "modal", "blocks": []}
    client.view_closed(view, user_id="U0REP")
    closed = recorder.last.payload()
    assert (closed["type"], closed["view"]["id"], closed["is_cleared"]) == ("view_closed", "V1", False)

    message = {"text": "Ada buys in Q3", "ts": "1700000000.000100", "user": "U0OTHER"}
    client.message_shortcut("persona_from_message", message, channel_id="C0SALES", user_id="U0REP")
    shortcut = recorder.last.payload()
    assert shortcut["type"] == "message_action"
    assert shortcut["callback_id"] == "persona_from_message"
    assert shortcut["message"]["text"] == "Ada buys in Q3"
    assert shortcut["message_ts"] == "1700000000.000100"
    assert shortcut["channel"]["id"] == "C0SALES"
    assert shortcut["trigger_id"] and shortcut["response_url"]

    client.global_shortcut("new_persona")
    assert recorder.last.payload()["type"] == "shortcut"


def test_events(client: SignedSlackClient, recorder: Recorder) -> None:
    client.event({"type": "app_home_opened", "user": "U0REP", "tab": "home"})
    received = recorder.last
    assert received.headers["content-type"] == "application/json"
    envelope = received.json()
    assert envelope["type"] == "event_callback"
    assert envelope["team_id"] == "T0TEST"
    assert envelope["event"]["type"] == "app_home_opened"
    assert envelope["event"]["event_ts"]
    assert envelope["event_id"].startswith("Ev")
    assert envelope["authorizations"][0]["user_id"] == "UBOT"
    assert "x-slack-retry-num" not in received.headers

    client.event({"type": "app_mention", "text": "hi"}, retry_num=2, retry_reason="http_error", event_id="Ev0SAME")
    retried = recorder.last
    assert retried.headers["x-slack-retry-num"] == "2"
    assert retried.headers["x-slack-retry-reason"] == "http_error"
    assert retried.json()["event_id"] == "Ev0SAME"

    client.app_home_opened("U0REP")
    assert recorder.last.json()["event"]["channel"] == "D0REP"
    client.url_verification("challenge-me")
    assert recorder.last.json() == {
        "token": recorder.last.json()["token"],
        "challenge": "challenge-me",
        "type": "url_verification",
    }


def test_client_without_a_standin_makes_up_triggers(recorder: Recorder) -> None:
    with SignedSlackClient(recorder.url + "/", SECRET, team_id="T0ELSE") as lone:
        lone.command("hi")
    form = recorder.last.form()
    assert form["team_id"] == "T0ELSE"
    assert form["trigger_id"].count(".") == 2
    assert form["response_url"].startswith("https://hooks.slack.com/")
    with pytest.raises(ValueError, match="http"):
        SignedSlackClient("ftp://example", SECRET)


# -- a real Bolt app in between --------------------------------------------------------------------------------


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def bolt_app(standin: SlackStandin) -> Iterator[str]:
    """A minimal Bolt app on a local WSGI server, its Web API pointed at the stand-in."""
    app = App(
        token="xoxb-test",
        signing_secret=SECRET,
        client=WebClient(token="xoxb-test", base_url=standin.api_url),
        process_before_response=True,
    )

    @app.command("/persona")
    def open_modal(ack: Ack, body: Json, client: WebClient) -> None:
        ack()
        client.views_open(trigger_id=body["trigger_id"], view=survey_modal())

    @app.view("persona_survey")
    def save(ack: Ack, body: Json, view: Json, client: WebClient) -> None:
        ack()
        name = view["state"]["values"]["name"]["value"]["value"]
        client.chat_postMessage(channel=body["user"]["id"], text=f"Saved {name}")

    handler = SlackRequestHandler(app)
    server = make_server("127.0.0.1", 0, handler, server_class=_ThreadingWSGIServer, handler_class=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_bolt_accepts_the_client_and_the_flow_reads_like_a_person(bolt_app: str, standin: SlackStandin) -> None:
    with SignedSlackClient(bolt_app, SECRET, standin) as client:
        assert client.command("new", user_id="U0REP").status == 200
        view = standin.last_view("U0REP")
        assert view is not None
        answer = client.view_submission_from(view, {("name", "value"): "Ada"}, user_id="U0REP")
        assert answer.status == 200
        assert [m["text"] for m in standin.messages(standin.dm_channel_id("U0REP"))] == ["Saved Ada"]
        assert client.raw(b"command=%2Fpersona", "application/x-www-form-urlencoded", secret="wrong").status == 401
    assert standin.calls("auth.test")  # Bolt checked its token against the stand-in


# -- the e2e harness -------------------------------------------------------------------------------------------

FAKE_APP = textwrap.dedent(
    """
    import os, signal, sys
    from wsgiref.simple_server import WSGIRequestHandler, make_server

    mode = os.environ.get("FAKE_MODE", "healthy")
    if mode == "crash":
        sys.exit("boom: DATABASE_URL is not reachable")

    class Quiet(WSGIRequestHandler):
        def log_message(self, *args):
            pass

    def app(environ, start_response):
        if environ["PATH_INFO"] == "/healthz":
            if mode == "sick":
                print("probe", file=sys.stderr, flush=True)
            status = "503 Service Unavailable" if mode == "sick" else "200 OK"
            start_response(status, [("Content-Type", "text/plain")])
            return [b"ok"]
        seen = {k: os.environ.get(k, "-") for k in ("HTTPS_PROXY", "https_proxy", "MARKER", "SLACK_CLIENT_ID")}
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [repr(seen).encode()]

    if mode != "stubborn":
        # Not sys.exit: a SIGTERM that lands while wsgiref is still writing an answer raises SystemExit inside
        # the request, and wsgiref's handler swallows it (the app then served on until SIGKILL, exit -9).
        signal.signal(signal.SIGTERM, lambda *args: os._exit(0))
    else:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    print("listening", flush=True)
    print("a line on stderr", file=sys.stderr, flush=True)
    make_server(sys.argv[1], int(sys.argv[2]), app, handler_class=Quiet).serve_forever()
    """
)


@pytest.fixture
def fake_app(tmp_path: Path) -> Callable[..., BotProcess]:
    script = tmp_path / "fake_app.py"
    script.write_text(FAKE_APP)

    def make(mode: str = "healthy", **kwargs: Any) -> BotProcess:
        env = {"FAKE_MODE": mode, "MARKER": "set-by-test", **kwargs.pop("env", {})}
        return BotProcess(env, command=[sys.executable, str(script), "{host}", "{port}"], **kwargs)

    return make


def test_harness_default_command() -> None:
    process = BotProcess({"DATABASE_URL": "sqlite://"}, port=8123)
    assert process.command == [sys.executable, "-m", "bot", "serve", "--host", "127.0.0.1", "--port", "8123"]
    assert process.url == "http://127.0.0.1:8123"
    process.cleanup()


def test_harness_starts_waits_and_stops(fake_app: Callable[..., BotProcess], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.invalid:3128")
    monkeypatch.setenv("SLACK_CLIENT_ID", "from-the-shell")
    bot = fake_app(env={"https_proxy": "http://also.invalid"})
    with bot:
        assert bot.returncode is None
        seen = _http("GET", bot.url + "/env")
        assert "'MARKER': 'set-by-test'" in seen
        assert "'HTTPS_PROXY': '-'" in seen and "'https_proxy': '-'" in seen
        assert "'SLACK_CLIENT_ID': '-'" in seen  # inherited OAuth settings would flip Bolt into OAuth mode
        assert "listening" in bot.stdout()
        assert "a line on stderr" in bot.logs()
        log_dir = bot.log_dir
    assert bot.returncode == 0
    assert not log_dir.exists()  # its own temporary folder is cleaned up
    assert "a line on stderr" in bot.logs()


def test_harness_reports_a_crash_with_stderr(fake_app: Callable[..., BotProcess], tmp_path: Path) -> None:
    bot = fake_app("crash", log_dir=tmp_path / "logs")
    with pytest.raises(BotProcessError, match="boom: DATABASE_URL is not reachable"):
        bot.start()
    assert bot.returncode == 1
    assert "boom" in (tmp_path / "logs" / bot.stderr_path.name).read_text()


def test_harness_times_out_when_never_healthy(fake_app: Callable[..., BotProcess]) -> None:
    bot = fake_app("sick", startup_timeout=2)  # long enough for the app to start on a busy machine
    with pytest.raises(BotProcessError, match="answered 503"):
        bot.start()
    probes = bot.stderr().count("probe")
    assert 1 <= probes <= 2 / 0.05 + 1, "it asked the app, and stopped asking when its time was up"
    assert bot.returncode is not None  # stopped, not left behind
    bot.cleanup()


def test_harness_kills_what_ignores_sigterm(fake_app: Callable[..., BotProcess]) -> None:
    bot = fake_app("stubborn").start()
    try:
        assert bot.stop(timeout=0.3) == -9
    finally:
        bot.cleanup()


def test_free_port_is_kept_for_the_app() -> None:
    port = free_port()
    assert 0 < port < 65536
    with socket.socket() as other, pytest.raises(OSError):
        other.bind(("127.0.0.1", port))  # nobody else takes it in the meantime…
    with socket.socket() as server:
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # …but a server (waitress sets this) can
        server.bind(("127.0.0.1", port))
        server.listen()
