"""The stand-in on the wire: a threading HTTP server on 127.0.0.1, request parsing, and routing.

`/api/<method>` runs a Web API method (faults first, then authentication, then the method family's function);
`/response/<id>` takes response_url posts, `/upload/<id>` and `/files-pri/…` carry file bytes, and
`POST /_standin/rate_limit` changes a limit from another process.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import http
import json
import logging
import socket
import threading
from collections.abc import Callable, Mapping
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

from bot.blocks.limits import Problem, find_block_problems, find_view_problems
from slack_standin import auth, chat, conversations, files, team, usergroups, users, views
from slack_standin.context import Context, Method, Refusal, Settings
from slack_standin.faults import Faults
from slack_standin.replies import Reply, json_reply, text_reply
from slack_standin.state import Call, World

__all__ = ["Endpoint"]

log = logging.getLogger(__name__)

METHODS: dict[str, Method] = {
    **auth.METHODS,
    **team.METHODS,
    **chat.METHODS,
    **conversations.METHODS,
    **views.METHODS,
    **users.METHODS,
    **usergroups.METHODS,
    **files.METHODS,
}
# Fields that slack-sdk sends as JSON strings inside form bodies (and that Slack also accepts so in JSON bodies).
_JSON_FIELDS = ("blocks", "attachments", "view", "files", "metadata")
_BLOCK_METHODS = {"chat.postMessage", "chat.postEphemeral", "chat.update"}
_VIEW_METHODS = {"views.open", "views.push", "views.update", "views.publish"}


Router = Callable[[str, str, Message, bytes], Reply]  # (verb, target, headers, body) -> answer


class Endpoint:
    """Serves `world` over HTTP with `faults` applied; `settings` is what a test may change while it runs.

    Each request goes to `router` (default `route`); a test that holds Slack passes its own, which calls `route`.
    """

    def __init__(
        self,
        world: World,
        faults: Faults,
        settings: Settings,
        sleep: Callable[[float], None],
        router: Router | None = None,
    ) -> None:
        self.router: Router = router or self.route
        self._world = world
        self._faults = faults
        self._settings = settings
        self._sleep = sleep
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._conn_lock = threading.Lock()
        self._connections: set[socket.socket] = set()
        self._opened = 0

    @property
    def running(self) -> bool:
        return self._server is not None

    @property
    def connections_opened(self) -> int:
        """How many TCP connections clients have opened to the stand-in since it was made."""
        with self._conn_lock:
            return self._opened

    def start(self, host: str, port: int) -> int:
        """Listen on (host, port) and return the port (the one picked, for port 0)."""
        self._server = _Server((host, port), self)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="slack-standin", daemon=True
        )
        self._thread.start()
        return int(self._server.server_address[1])

    def stop(self) -> None:
        server, thread = self._server, self._thread
        if server is None:
            return
        self._server = self._thread = None
        server.shutdown()
        server.server_close()
        with self._conn_lock:
            open_connections = list(self._connections)
        for conn in open_connections:  # keep-alive handlers would otherwise go on answering after stop()
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        if thread is not None:
            thread.join(timeout=5)

    def track(self, conn: socket.socket, opened: bool) -> None:
        with self._conn_lock:
            if opened:
                self._connections.add(conn)
                self._opened += 1
            else:
                self._connections.discard(conn)

    # -- routing -------------------------------------------------------------------------------------------

    def route(self, verb: str, target: str, headers: Message, body: bytes) -> Reply:
        path, _, query = target.partition("?")
        if path.startswith("/api/"):
            return self._api(path[len("/api/") :], query, headers, body)
        if verb == "POST" and path.startswith("/response/"):
            at = self._world.clock()
            return chat.post_to_response_url(self._world, self._settings, path[len("/response/") :], body, at)
        if verb == "POST" and path.startswith("/upload/"):
            return files.receive_upload(self._world, path[len("/upload/") :], body)
        if verb == "GET" and path.startswith("/files-pri/"):
            token, _basic = _credentials(headers.get("Authorization"))
            return files.serve_download(self._world, path[len("/files-pri/") :], token)
        if verb == "POST" and path == "/_standin/rate_limit":
            return self._faults.control_rate_limit(body)
        return text_reply(404, "not_found")

    def _api(self, method: str, query: str, headers: Message, body: bytes) -> Reply:
        world = self._world
        at = world.clock()
        params: dict[str, Any] = dict(parse_qsl(query, keep_blank_values=True))
        token, basic = _credentials(headers.get("Authorization"))
        parse_error: str | None = None
        try:
            params.update(_parse_body(headers.get("Content-Type"), body))
        except Refusal as refusal:
            parse_error = refusal.error
        token = token or params.pop("token", None)
        params.pop("token", None)
        for name in _JSON_FIELDS:
            if isinstance(params.get(name), str):
                # Undecodable JSON stays a string; the method refuses it with its own error.
                with contextlib.suppress(ValueError):
                    params[name] = json.loads(params[name])
        delay = self._faults.delay_for(method, world.team_of(token))
        if delay:
            self._sleep(delay)
        problems = _precheck(method, params)
        with world.lock:
            team_id = world.team_of(token)
            reply, error = self._faults.fault_reply(method, world.clock(), team_id)
            if reply is None:
                workspace = world.workspaces.get(team_id) if team_id else None
                ctx = Context(method, params, workspace, self._settings, problems, basic)
                payload = self._dispatch(ctx, token, parse_error)
                error = None if payload.get("ok") else payload.get("error")
                team_id = ctx.workspace.team_id if ctx.workspace else team_id
                reply = json_reply(payload, headers=auth.scope_header(world, token))
            world.calls.append(Call(method, params, team_id, at, reply.status, error))
        return reply

    def _dispatch(self, ctx: Context, token: str | None, parse_error: str | None) -> dict[str, Any]:
        handler = METHODS.get(ctx.method)
        if handler is None:
            return {"ok": False, "error": "unknown_method", "req_method": ctx.method}
        if parse_error:
            return {"ok": False, "error": parse_error}
        refused = auth.refusal_for(self._world, ctx.method, token, ctx.workspace)
        if refused:
            return {"ok": False, "error": refused}
        try:
            return {"ok": True, **handler(self._world, ctx)}
        except Refusal as refusal:
            answer: dict[str, Any] = {"ok": False, "error": refusal.error}
            if refusal.messages:
                answer["response_metadata"] = {"messages": refusal.messages}
            return answer


def _precheck(method: str, params: Mapping[str, Any]) -> list[Problem] | None:
    """Block Kit checks are pure and the slowest part of a call: run them before taking the lock."""
    if method in _BLOCK_METHODS and isinstance(params.get("blocks"), list) and params["blocks"]:
        return find_block_problems(params["blocks"], "message")
    if method in _VIEW_METHODS and isinstance(params.get("view"), dict):
        return find_view_problems(params["view"])
    return None


def _parse_body(content_type: str | None, body: bytes) -> dict[str, Any]:
    if not body:
        return {}
    kind = (content_type or "").split(";", 1)[0].strip().lower()
    if kind == "application/json":
        try:
            parsed = json.loads(body)
        except ValueError:
            raise Refusal("invalid_json") from None
        if not isinstance(parsed, dict):
            raise Refusal("invalid_json")
        return parsed
    if kind in ("application/x-www-form-urlencoded", "text/plain", ""):
        try:
            return dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
        except UnicodeDecodeError:
            raise Refusal("invalid_form_data") from None
    raise Refusal("invalid_post_type")


def _credentials(authorization: str | None) -> tuple[str | None, tuple[str, str] | None]:
    """(bearer token, (client_id, client_secret) from Basic auth)."""
    if not authorization:
        return None, None
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() == "bearer":
        return value.strip() or None, None
    if scheme.lower() == "basic":
        try:
            user, _, password = base64.b64decode(value.strip()).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None, None
        return None, (user, password)
    return None, None


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 1024  # slack-sdk opens a fresh connection per call; bursts must not overflow the backlog

    def __init__(self, address: tuple[str, int], endpoint: Endpoint) -> None:
        self.endpoint = endpoint
        super().__init__(address, _Handler)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "SlackStandin"
    sys_version = ""
    disable_nagle_algorithm = True
    server: _Server

    def setup(self) -> None:
        super().setup()
        self.server.endpoint.track(self.connection, True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.endpoint.track(self.connection, False)

    def log_message(self, format: str, *args: Any) -> None:
        """Silence per-request logging: benchmarks send thousands of requests."""

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def _handle(self, verb: str) -> None:
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            self._write(text_reply(400, "invalid Content-Length"))
            return
        body = self.rfile.read(length) if length > 0 else b""
        try:
            reply = self.server.endpoint.router(verb, self.path, self.headers, body)
        except Exception:
            log.exception("the Slack stand-in failed on %s %s", verb, self.path)
            reply = json_reply({"ok": False, "error": "fatal_error"}, status=500)
        self._write(reply)

    def _write(self, reply: Reply) -> None:
        status = http.HTTPStatus(reply.status)
        lines = [
            f"HTTP/1.1 {status.value} {status.phrase}",
            f"Content-Type: {reply.content_type}",
            f"Content-Length: {len(reply.body)}",
        ]
        lines.extend(f"{name}: {value}" for name, value in reply.headers)
        if self.close_connection:
            lines.append("Connection: close")
        # One write for head and body: with Nagle off, two writes would cost an extra packet per answer.
        self.wfile.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + reply.body)
