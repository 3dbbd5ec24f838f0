"""A local stand-in for Slack's Web API: a real HTTP server on 127.0.0.1 that answers the way Slack does.

slack-sdk talks urllib to `base_url`, so HTTP-mocking libraries never see its calls; a real server does. The
stand-in keeps the state a test wants to read back (messages, views, Home tabs, uploads, response_url posts),
refuses what Slack refuses (Block Kit limits via `bot.blocks.limits`, single-use triggers, response_url
limits), and can be told to misbehave (errors, 429s, latency) to exercise retries.

Answers chosen to match Slack's documentation (or, where it is silent, observed behaviour):
- a used trigger_id -> `exchanged_trigger_id`, an unknown one -> `invalid_trigger_id`, a stale one (after
  `trigger_ttl`, 3 s) -> `expired_trigger_id`; a fourth modal on the stack -> `push_limit_reached`;
- a refused view -> `invalid_arguments` with `response_metadata.messages`; over 250 kB -> `view_too_large`;
- refused blocks -> `invalid_blocks` (with messages); blocks that are not a JSON array -> `invalid_blocks_format`;
- chat.postMessage to an unknown user id -> `channel_not_found`; to a deactivated one -> ok, as Slack does
  (python-slack-sdk#1156), unless `deleted_user_dm_error` names an error; conversations.open -> `user_not_found`
  / `user_disabled`; chat.postEphemeral to someone unknown -> `user_not_in_channel`;
- conversations.history: newest first, `oldest`/`latest` exclusive unless `inclusive`, `limit` (default 100, at
  most 999) with `has_more` and a `response_metadata.next_cursor`; message `metadata` only with
  `include_all_metadata`; `channel_not_found` for a channel the token's workspace has no part in (not one of its
  users' DMs, never opened or posted to), `invalid_cursor`, `invalid_limit`, `invalid_ts_oldest`/`invalid_ts_latest`;
- files.completeUploadExternal with an unknown or never-uploaded file -> `file_not_found`, a bad channel ->
  `invalid_channel`; its file objects carry `filetype`/`mimetype`/`pretty_type` detected from the bytes (PNG,
  JPEG, GIF, PDF, else the file name's extension) and, for a PNG, `original_w`/`original_h`; files.info for a
  file of another workspace or none -> `file_not_found`; a file's `url_private` answers its bytes to the
  workspace's bot token (Bearer) and, like Slack, an HTML sign-in page to anyone else; oauth.v2.access ->
  `invalid_client_id`, `bad_client_secret`, `invalid_code` (codes are single-use), `bad_redirect_uri`;
- users.lookupByEmail: `users_not_found` for an address no user of the workspace has (deactivated users are found,
  with `deleted: true`), `invalid_email` for text without an `@`; usergroups.list lists the groups added with
  `add_usergroup`; usergroups.users.list: `no_such_subteam`
  for an unknown group; conversations.members (paginated like users.list): `channel_not_found`; a missing
  scope is injected with `fail(method, 200, "missing_scope")`;
- every call made with a live token carries the `x-oauth-scopes` header with the scopes granted to it (the
  manifest's bot scopes unless `grant_scopes` says otherwise, or what an OAuth exchange granted); a revoked token
  answers `token_revoked` (or the error `revoke_token` names, e.g. `invalid_auth`);
- apps.connections.open takes an app-level token (`add_app_token`): `invalid_auth` for an unknown one,
  `not_allowed_token_type` for a bot token; it answers a `wss://` URL nothing listens on;
- response_url: HTTP 404 `used_url` after 5 posts, 404 `expired_url` after 30 minutes, 404 `no_service` for an
  unknown URL, 400 `invalid_blocks` / `no_text` / `invalid_payload`; refused posts do not count as uses.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import copy
import hashlib
import http
import itertools
import json
import logging
import math
import re
import secrets
import socket
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, NamedTuple, TypeVar
from urllib.parse import parse_qsl
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.blocks.limits import VIEW_MAX_BYTES, Problem, find_block_problems, find_view_problems, view_size

__all__ = ["Call", "Download", "ResponsePost", "SharedFile", "SlackStandin", "Upload"]

log = logging.getLogger(__name__)
_T = TypeVar("_T")

MESSAGE_TEXT_MAX = 40_000  # chat.postMessage answers msg_too_long above it
VIEW_STACK_MAX = 3  # a root modal plus two pushes
DEFAULT_APP_ID = "A0STANDIN"
DEFAULT_CLIENT_ID = "1111.2222"
DEFAULT_CLIENT_SECRET = "standin-client-secret"

# Fields that slack-sdk sends as JSON strings inside form bodies (and that Slack also accepts so in JSON bodies).
_JSON_FIELDS = ("blocks", "attachments", "view", "files", "metadata")
_CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]+$")
_USER_ID = re.compile(r"^[UW][A-Z0-9]+$")
_NO_AUTH_METHODS = {"oauth.v2.access", "api.test"}
_ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
_AUTO_IDS = itertools.count(0x10000)  # five hex digits; next() on a count is atomic under the GIL


@dataclass(frozen=True)
class Call:
    """One Web API call as the stand-in saw it: JSON fields decoded, the token left out."""

    method: str
    params: dict[str, Any]
    team_id: str | None
    at: float  # time.monotonic() when the request arrived
    status: int = 200
    error: str | None = None  # the `error` Slack answered with, None when ok

    @property
    def ok(self) -> bool:
        return self.status == 200 and self.error is None


@dataclass(frozen=True)
class ResponsePost:
    """One POST to a response_url, accepted or not."""

    url_id: str
    payload: dict[str, Any]
    at: float
    status: int = 200
    error: str | None = None

    @property
    def body(self) -> dict[str, Any]:
        """The posted JSON; another name for `payload`."""
        return self.payload


@dataclass(frozen=True)
class Upload:
    """A file that went through all three steps of `files_upload_v2`."""

    file_id: str
    team_id: str
    filename: str
    title: str | None
    content: bytes
    channel_id: str | None
    initial_comment: str | None
    thread_ts: str | None
    filetype: str = "binary"  # what Slack detected: "png", "csv", "xlsx", …
    mimetype: str = "application/octet-stream"
    alt_text: str | None = None  # files_upload_v2's alt_txt, read by screen readers
    image_size: tuple[int, int] | None = None  # (width, height) in pixels, for images

    @property
    def is_image(self) -> bool:
        return self.mimetype.startswith("image/")


# Magic numbers Slack's type detection goes by before it looks at the name: (prefix, filetype, mimetype, name).
_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "png", "image/png", "PNG"),
    (b"\xff\xd8\xff", "jpg", "image/jpeg", "JPEG"),
    (b"GIF87a", "gif", "image/gif", "GIF"),
    (b"GIF89a", "gif", "image/gif", "GIF"),
    (b"%PDF-", "pdf", "application/pdf", "PDF"),
)
_BY_EXTENSION = {
    "csv": ("csv", "text/csv", "CSV"),
    "txt": ("text", "text/plain", "Plain Text"),
    "xlsx": ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "Excel Spreadsheet"),
    "json": ("json", "application/json", "JSON"),
    "yaml": ("yaml", "text/yaml", "YAML"),
    "yml": ("yaml", "text/yaml", "YAML"),
    "md": ("markdown", "text/markdown", "Markdown (raw)"),
}


def detect_file_type(content: bytes, filename: str) -> tuple[str, str, str]:
    """(filetype, mimetype, pretty_type) as Slack reports them: by the bytes first, then the name."""
    for prefix, filetype, mimetype, pretty in _MAGIC:
        if content.startswith(prefix):
            return filetype, mimetype, pretty
    extension = filename.rsplit(".", 1)[-1].casefold() if "." in filename else ""
    return _BY_EXTENSION.get(extension, ("binary", "application/octet-stream", "Binary"))


def png_size(content: bytes) -> tuple[int, int] | None:
    """A PNG's (width, height) from its IHDR chunk, or None when it isn't a well-formed PNG."""
    if len(content) < 24 or not content.startswith(b"\x89PNG\r\n\x1a\n") or content[12:16] != b"IHDR":
        return None
    return int.from_bytes(content[16:20], "big"), int.from_bytes(content[20:24], "big")


@dataclass(frozen=True)
class SharedFile:
    """A file a person shared in Slack (set up with `add_file`), as files.info describes it."""

    file_id: str
    team_id: str
    user_id: str
    filename: str
    content: bytes
    mimetype: str
    filetype: str
    channel_id: str | None  # where it was shared: a DM (D…) lands in `ims`, a channel in `channels`
    created: int


@dataclass(frozen=True)
class Download:
    """One GET of a file's url_private: whether the token was the file's workspace's, and the status answered."""

    file_id: str
    authorized: bool
    status: int


@dataclass
class _Workspace:
    team_id: str
    team_name: str
    bot_token: str
    bot_user_id: str
    bot_id: str
    app_id: str
    domain: str


@dataclass
class _User:
    team_id: str
    user_id: str
    name: str
    real_name: str
    display_name: str
    tz: str
    deleted: bool
    is_bot: bool
    email: str | None
    is_admin: bool = False
    is_owner: bool = False


@dataclass
class _Trigger:
    created: float
    user_id: str | None
    team_id: str | None
    used: bool = False


@dataclass
class _ResponseUrl:
    created: float
    team_id: str | None
    channel_id: str | None
    user_id: str | None
    message_ts: str | None
    uses: int = 0


@dataclass
class _Fault:
    status: int
    error: str
    retry_after: float | None
    body: bytes | None
    content_type: str


@dataclass
class _Bucket:
    rate: float
    burst: float
    tokens: float
    updated: float
    precision: float | None


@dataclass
class _PendingFile:
    file_id: str
    team_id: str
    filename: str
    length: int
    content: bytes | None = None
    alt_text: str | None = None


@dataclass
class _OAuthGrant:
    team_id: str
    team_name: str
    bot_token: str
    bot_user_id: str
    scope: str
    authed_user_id: str
    app_id: str
    redirect_uri: str | None


class _Reply(NamedTuple):
    status: int
    body: bytes
    content_type: str
    headers: tuple[tuple[str, str], ...] = ()


class _Refusal(Exception):
    """An `ok: false` answer."""

    def __init__(self, error: str, messages: list[str] | None = None) -> None:
        super().__init__(error)
        self.error = error
        self.messages = messages


@dataclass
class _Context:
    method: str
    params: dict[str, Any]
    workspace: _Workspace | None
    problems: list[Problem] | None = None  # Block Kit problems, found before taking the lock
    basic_auth: tuple[str, str] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def team(self) -> _Workspace:
        assert self.workspace is not None
        return self.workspace

    def text(self, name: str, *, required: bool = False) -> str | None:
        value = self.params.get(name)
        if value is None or value == "":
            if required:
                raise _Refusal("invalid_arguments", [f"[ERROR] missing required field: {name}"])
            return None
        return str(value)

    def required(self, name: str) -> str:
        value = self.text(name, required=True)
        assert value is not None
        return value


def _json_reply(payload: Mapping[str, Any], status: int = 200, headers: tuple[tuple[str, str], ...] = ()) -> _Reply:
    return _Reply(status, json.dumps(payload).encode("utf-8"), "application/json; charset=utf-8", headers)


def _text_reply(status: int, text: str) -> _Reply:
    return _Reply(status, text.encode("utf-8"), "text/html")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 1024  # slack-sdk opens a fresh connection per call; bursts must not overflow the backlog

    def __init__(self, address: tuple[str, int], standin: SlackStandin) -> None:
        self.standin = standin
        super().__init__(address, _Handler)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "SlackStandin"
    sys_version = ""
    disable_nagle_algorithm = True
    server: _Server

    def setup(self) -> None:
        super().setup()
        self.server.standin._track(self.connection, True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.standin._track(self.connection, False)

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
            self._write(_text_reply(400, "invalid Content-Length"))
            return
        body = self.rfile.read(length) if length > 0 else b""
        try:
            reply = self.server.standin._route(verb, self.path, self.headers, body)
        except Exception:
            log.exception("the Slack stand-in failed on %s %s", verb, self.path)
            reply = _json_reply({"ok": False, "error": "fatal_error"}, status=500)
        self._write(reply)

    def _write(self, reply: _Reply) -> None:
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


class SlackStandin:
    """Slack's Web API on 127.0.0.1, with setup, recording and fault injection for tests.

    `SlackStandin(team_id="T0TEST", bot_token="xoxb-test")` registers one workspace; `team_id=None` none.
    Use as a context manager, or `start()` / `stop()`; point slack-sdk at `api_url`.
    """

    def __init__(
        self,
        team_id: str | None = "T0TEST",
        bot_token: str = "xoxb-test",
        *,
        bot_user_id: str = "UBOT",
        team_name: str | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        trigger_ttl: float = 3.0,
        response_url_ttl: float = 30 * 60.0,
        response_url_max_uses: int = 5,
        client_id: str = DEFAULT_CLIENT_ID,
        client_secret: str = DEFAULT_CLIENT_SECRET,
        deleted_user_dm_error: str | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.trigger_ttl = trigger_ttl
        self.response_url_ttl = response_url_ttl
        self.response_url_max_uses = response_url_max_uses
        self.client_id = client_id
        self.client_secret = client_secret
        # Slack answers ok when a bot DMs a deactivated user by user id (python-slack-sdk#1156);
        # set e.g. "user_disabled" to make chat.postMessage refuse instead.
        self.deleted_user_dm_error = deleted_user_dm_error
        self._default_workspace = (team_id, bot_token, bot_user_id, team_name)
        self._lock = threading.Lock()
        self._conn_lock = threading.Lock()
        self._connections: set[socket.socket] = set()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._init_state()
        if team_id is not None:
            self.add_workspace(team_id, bot_token, bot_user_id, team_name=team_name)

    def _init_state(self) -> None:
        self._ids = itertools.count(1)
        self._last_ts = 0
        self._workspaces: dict[str, _Workspace] = {}
        self._tokens: dict[str, str] = {}
        self._revoked: set[str] = set()
        self._revoked_errors: dict[str, str] = {}
        self._granted_scopes: dict[str, tuple[str, ...]] = {}
        self._app_tokens: set[str] = set()
        self._users: dict[str, dict[str, _User]] = {}
        self._usergroups: dict[str, dict[str, tuple[str, list[str]]]] = {}  # team -> id -> (handle, members)
        self._channels: dict[str, dict[str, list[str]]] = {}  # team -> channel id -> members
        self._channel_errors: dict[str, str] = {}
        self._triggers: dict[str, _Trigger] = {}
        self._response_urls: dict[str, _ResponseUrl] = {}
        self._oauth_codes: dict[str, _OAuthGrant] = {}
        self._faults: dict[str, deque[_Fault]] = {}
        self._buckets: dict[str, _Bucket] = {}
        self._latency: dict[str, float] = {}
        self._files: dict[str, SharedFile] = {}
        self._clear_recordings()

    def _clear_recordings(self) -> None:
        self._calls: list[Call] = []
        self._messages: dict[tuple[str, str], dict[str, Any]] = {}
        self._ephemerals: list[dict[str, Any]] = []
        self._response_posts: list[ResponsePost] = []
        self._pending_files: dict[str, _PendingFile] = {}
        self._uploads: list[Upload] = []
        self._views: dict[str, dict[str, Any]] = {}
        self._view_users: dict[str, tuple[str, str | None]] = {}
        self._stacks: dict[tuple[str, str | None], list[str]] = {}
        self._last_view_by_user: dict[str | None, str] = {}
        self._homes: dict[tuple[str, str], dict[str, Any]] = {}
        self._open_dms: set[tuple[str, str]] = set()
        self._downloads: list[Download] = []

    # -- lifecycle -----------------------------------------------------------------------------------------

    def start(self) -> SlackStandin:
        if self._server is not None:
            return self
        self._server = _Server((self.host, self.port), self)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="slack-standin", daemon=True
        )
        self._thread.start()
        return self

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

    def __enter__(self) -> SlackStandin:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("the Slack stand-in is not running; call start() first")
        return f"http://{self.host}:{self.port}"

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/api/"

    def _track(self, conn: socket.socket, opened: bool) -> None:
        with self._conn_lock:
            if opened:
                self._connections.add(conn)
            else:
                self._connections.discard(conn)

    # -- setup ---------------------------------------------------------------------------------------------

    def add_workspace(
        self,
        team_id: str,
        bot_token: str,
        bot_user_id: str = "UBOT",
        *,
        team_name: str | None = None,
        bot_id: str | None = None,
        app_id: str = DEFAULT_APP_ID,
        domain: str | None = None,
    ) -> None:
        with self._lock:
            self._add_workspace(
                _Workspace(
                    team_id=team_id,
                    team_name=team_name or f"Workspace {team_id}",
                    bot_token=bot_token,
                    bot_user_id=bot_user_id,
                    bot_id=bot_id or f"B{team_id[1:]}",
                    app_id=app_id,
                    domain=domain or team_id.lower(),
                )
            )

    def _add_workspace(self, ws: _Workspace) -> None:
        old = self._workspaces.get(ws.team_id)
        if old is not None:
            self._tokens.pop(old.bot_token, None)
        self._workspaces[ws.team_id] = ws
        self._tokens[ws.bot_token] = ws.team_id
        self._revoked.discard(ws.bot_token)
        self._users.setdefault(ws.team_id, {})

    def revoke_token(self, token: str, error: str = "token_revoked") -> None:
        """Later calls with `token` answer `error`: `token_revoked` as after an uninstall, `invalid_auth` as for a
        mistyped or regenerated token."""
        with self._lock:
            self._revoked.add(token)
            self._revoked_errors[token] = error

    def grant_scopes(self, token: str, scopes: tuple[str, ...] | list[str] | None) -> None:
        """The scopes Slack says (`x-oauth-scopes`) it granted to `token`; None: the manifest's bot scopes."""
        with self._lock:
            if scopes is None:
                self._granted_scopes.pop(token, None)
            else:
                self._granted_scopes[token] = tuple(scopes)

    def add_app_token(self, token: str) -> None:
        """An app-level token (`xapp-…`, connections:write) that apps.connections.open accepts."""
        with self._lock:
            self._app_tokens.add(token)
            self._revoked.discard(token)

    def add_user(
        self,
        team_id: str,
        user_id: str,
        name: str,
        real_name: str | None = None,
        tz: str = "America/New_York",
        deleted: bool = False,
        is_bot: bool = False,
        *,
        display_name: str | None = None,
        email: str | None = None,
        is_admin: bool = False,
        is_owner: bool = False,
    ) -> None:
        with self._lock:
            self._users.setdefault(team_id, {})[user_id] = _User(
                team_id=team_id,
                user_id=user_id,
                name=name,
                real_name=real_name if real_name is not None else name,
                display_name=display_name if display_name is not None else name,
                tz=tz,
                deleted=deleted,
                is_bot=is_bot,
                email=email,
                is_admin=is_admin,
                is_owner=is_owner,
            )

    def add_file(
        self,
        team_id: str,
        user_id: str,
        filename: str,
        content: bytes,
        *,
        channel_id: str | None = None,
        mimetype: str = "text/csv",
        filetype: str = "csv",
    ) -> SharedFile:
        """A file `user_id` shared (by default in their DM with the bot); files.info and url_private serve it."""
        with self._lock:
            shared = SharedFile(
                file_id=self._new_id("F"),
                team_id=team_id,
                user_id=user_id,
                filename=filename,
                content=content,
                mimetype=mimetype,
                filetype=filetype,
                channel_id=channel_id if channel_id is not None else self.dm_channel_id(user_id),
                created=int(time.time()),
            )
            self._files[shared.file_id] = shared
        return shared

    def downloads(self) -> list[Download]:
        with self._lock:
            return list(self._downloads)

    def add_usergroup(self, team_id: str, group_id: str, handle: str, members: list[str]) -> None:
        """A user group (`S…`, shown as @handle) with these members; called again, it replaces them."""
        with self._lock:
            self._usergroups.setdefault(team_id, {})[group_id] = (handle, list(members))

    def add_channel(self, team_id: str, channel_id: str, members: list[str]) -> None:
        """A channel with these members (for conversations.members); called again, it replaces them."""
        with self._lock:
            self._channels.setdefault(team_id, {})[channel_id] = list(members)

    def set_channel_error(self, channel: str, error: str | None) -> None:
        """Make posts to `channel` answer `error` (e.g. is_archived, not_in_channel); None undoes it."""
        with self._lock:
            if error is None:
                self._channel_errors.pop(channel, None)
            else:
                self._channel_errors[channel] = error

    def new_trigger_id(self, user_id: str | None = None, team_id: str | None = None) -> str:
        """A trigger id valid for `trigger_ttl` seconds and one views.open / views.push."""
        with self._lock:
            trigger_id = f"{next(self._ids)}.{int(time.time())}.{secrets.token_hex(16)}"
            self._triggers[trigger_id] = _Trigger(time.monotonic(), user_id, team_id)
            return trigger_id

    def new_response_url(
        self,
        team_id: str | None = None,
        channel_id: str | None = None,
        user_id: str | None = None,
        message_ts: str | None = None,
    ) -> str:
        """A response_url on this server; with channel_id + message_ts, replace/delete_original act on it."""
        url_id = secrets.token_hex(12)
        with self._lock:
            self._response_urls[url_id] = _ResponseUrl(time.monotonic(), team_id, channel_id, user_id, message_ts)
        return f"{self.base_url}/response/{url_id}"

    def register_oauth_code(
        self,
        code: str,
        team_id: str,
        bot_token: str,
        bot_user_id: str = "UBOT",
        *,
        team_name: str | None = None,
        scope: str = "chat:write,commands,im:write,im:history,users:read,users:read.email,files:write",
        authed_user_id: str = "U0INSTALLER",
        app_id: str = DEFAULT_APP_ID,
        redirect_uri: str | None = None,
    ) -> None:
        """A code that oauth.v2.access exchanges once; the exchange also makes the workspace and token live."""
        with self._lock:
            self._oauth_codes[code] = _OAuthGrant(
                team_id=team_id,
                team_name=team_name or f"Workspace {team_id}",
                bot_token=bot_token,
                bot_user_id=bot_user_id,
                scope=scope,
                authed_user_id=authed_user_id,
                app_id=app_id,
                redirect_uri=redirect_uri,
            )

    @staticmethod
    def dm_channel_id(user_id: str) -> str:
        """The DM channel id the stand-in gives a user: stable, derived from the user id."""
        return ("D" if user_id.startswith("U") else "DW") + user_id[1:]

    # -- faults --------------------------------------------------------------------------------------------

    def fail(
        self,
        method: str,
        status: int = 429,
        error: str | None = None,
        retry_after: float | None = 1,
        times: int = 1,
        *,
        body: str | bytes | None = None,
        content_type: str | None = None,
    ) -> None:
        """Make the next `times` calls of `method` ("*" for any) fail.

        429 answers `ratelimited` with a `Retry-After` header; 5xx answer Slack's JSON error body
        (`internal_error` for 500, `service_unavailable` otherwise) unless `body` gives e.g. an HTML page;
        status 200 answers `{"ok": false, "error": error}`. `retry_after=0` is not something Slack sends, but
        makes `RateLimitErrorRetryHandler` retry without the one-second sleep.
        """
        if error is None:
            error = {429: "ratelimited", 500: "internal_error", 200: "fatal_error"}.get(status, "service_unavailable")
        if isinstance(body, str):
            raw: bytes | None = body.encode("utf-8")
            kind = content_type or ("text/html" if body.lstrip().startswith("<") else "text/plain")
        else:
            raw, kind = body, content_type or "application/octet-stream"
        fault = _Fault(status, error, retry_after if status == 429 else None, raw, kind)
        with self._lock:
            self._faults.setdefault(method, deque()).extend([fault] * times)

    def rate_limit(
        self,
        method: str,
        per_second: float | None,
        burst: int = 1,
        *,
        retry_after_precision: float | None = None,
        team_id: str | None = None,
    ) -> None:
        """Answer 429 + Retry-After when `method` is called faster than `per_second` (token bucket of `burst`).

        Retry-After is whole seconds, at least 1, like Slack. `retry_after_precision` (e.g. 0.01) sends the
        exact wait rounded up to that step instead, for fast tests that parse the header themselves; note that
        slack-sdk's `RateLimitErrorRetryHandler` int()s the header and cannot read fractions.
        `per_second=None` removes the limit. With `team_id` the limit is that workspace's own (its token's), as
        Slack's are; without, one budget is shared by every caller. Calling again changes the limit at once (in
        the middle of a round, too); the bucket keeps the tokens it has, up to the new `burst`.
        """
        key = method if team_id is None else f"{method}@{team_id}"
        with self._lock:
            if per_second is None:
                self._buckets.pop(key, None)
                return
            old = self._buckets.get(key)
            now = time.monotonic()
            tokens = float(burst) if old is None else min(float(burst), self._refill(old, now))
            self._buckets[key] = _Bucket(per_second, burst, tokens, now, retry_after_precision)

    @staticmethod
    def _refill(bucket: _Bucket, now: float) -> float:
        bucket.tokens = min(bucket.burst, bucket.tokens + (now - bucket.updated) * bucket.rate)
        bucket.updated = now
        return bucket.tokens

    def latency(self, method: str, seconds: float, *, team_id: str | None = None) -> None:
        """Delay every answer to `method` ("*" for any) by `seconds`; 0 removes the delay. With `team_id`, only
        that workspace's calls are delayed (a slow workspace among fast ones)."""
        key = method if team_id is None else f"{method}@{team_id}"
        with self._lock:
            if seconds > 0:
                self._latency[key] = seconds
            else:
                self._latency.pop(key, None)

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()
            self._buckets.clear()
            self._latency.clear()

    # -- reading back --------------------------------------------------------------------------------------

    def calls(self, method: str | None = None, team_id: str | None = None) -> list[Call]:
        with self._lock:
            return [
                c
                for c in self._calls
                if (method is None or c.method == method) and (team_id is None or c.team_id == team_id)
            ]

    def messages(self, channel: str | None = None) -> list[dict[str, Any]]:
        """Posted messages in their current state (updated, not deleted), oldest first, each with `channel`."""
        with self._lock:
            found = [m for m in self._messages.values() if channel is None or m["channel"] == channel]
            return copy.deepcopy(sorted(found, key=lambda m: m["ts"]))

    def ephemeral_messages(self, channel: str | None = None, user_id: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            return copy.deepcopy(
                [
                    m
                    for m in self._ephemerals
                    if (channel is None or m["channel"] == channel) and (user_id is None or m["user"] == user_id)
                ]
            )

    def response_posts(self, id: str | None = None) -> list[ResponsePost]:
        """Posts to response_urls (accepted and refused); `id` is the URL's last path part or the whole URL."""
        url_id = id.rstrip("/").rsplit("/", 1)[-1] if id else None
        with self._lock:
            return [p for p in self._response_posts if url_id is None or p.url_id == url_id]

    def uploads(self) -> list[Upload]:
        with self._lock:
            return list(self._uploads)

    def view(self, view_id: str) -> dict[str, Any]:
        with self._lock:
            return copy.deepcopy(self._views[view_id])

    def last_view(self, user_id: str | None = None) -> dict[str, Any] | None:
        """The view most recently opened or pushed (for `user_id`), in its current state, or None."""
        with self._lock:
            view_id = self._last_view_by_user.get(user_id)
            return copy.deepcopy(self._views[view_id]) if view_id else None

    def view_stack(self, team_id: str, user_id: str | None) -> list[dict[str, Any]]:
        with self._lock:
            return [copy.deepcopy(self._views[v]) for v in self._stacks.get((team_id, user_id), [])]

    def home_view(self, team_id: str, user_id: str) -> dict[str, Any] | None:
        with self._lock:
            home = self._homes.get((team_id, user_id))
            return copy.deepcopy(home) if home else None

    def user_info(self, team_id: str, user_id: str) -> dict[str, Any] | None:
        """The user object users.info would answer with, or None for an unknown user."""
        with self._lock:
            user = self._user(team_id, user_id)
            return self._user_object(user) if user else None

    def bot_user_id(self, team_id: str) -> str | None:
        with self._lock:
            ws = self._workspaces.get(team_id)
            return ws.bot_user_id if ws else None

    def wait_for(self, predicate: Callable[[], _T], timeout: float = 5.0, interval: float = 0.005) -> _T:
        """Poll `predicate` until it returns something truthy, and return that.

        An app acks first and calls Slack afterwards, so a test waits for the effect:
        `view = standin.wait_for(lambda: standin.last_view("U0REP"))`.
        """
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            if time.monotonic() >= deadline:
                raise TimeoutError(f"the condition was still false after {timeout:g} s")
            time.sleep(interval)

    def clear(self) -> None:
        """Forget what happened (calls, messages, views, uploads, posts); keep workspaces, users and faults."""
        with self._lock:
            self._clear_recordings()

    def reset(self) -> None:
        """Forget everything, back to the state the constructor left (its default workspace included)."""
        with self._lock:
            self._init_state()
        team_id, bot_token, bot_user_id, team_name = self._default_workspace
        if team_id is not None:
            self.add_workspace(team_id, bot_token, bot_user_id, team_name=team_name)

    # -- HTTP routing --------------------------------------------------------------------------------------

    def _route(self, verb: str, target: str, headers: Message, body: bytes) -> _Reply:
        path, _, query = target.partition("?")
        if path.startswith("/api/"):
            return self._api(path[len("/api/") :], query, headers, body)
        if verb == "POST" and path.startswith("/response/"):
            return self._response_post(path[len("/response/") :], body)
        if verb == "POST" and path.startswith("/upload/"):
            return self._upload(path[len("/upload/") :], body)
        if verb == "GET" and path.startswith("/files-pri/"):
            return self._download(path[len("/files-pri/") :], headers)
        if verb == "POST" and path == "/_standin/rate_limit":
            return self._control_rate_limit(body)
        return _text_reply(404, "not_found")

    def _api(self, method: str, query: str, headers: Message, body: bytes) -> _Reply:
        at = time.monotonic()
        params: dict[str, Any] = dict(parse_qsl(query, keep_blank_values=True))
        token, basic = _credentials(headers.get("Authorization"))
        parse_error: str | None = None
        try:
            params.update(_parse_body(headers.get("Content-Type"), body))
        except _Refusal as refusal:
            parse_error = refusal.error
        token = token or params.pop("token", None)
        params.pop("token", None)
        for name in _JSON_FIELDS:
            if isinstance(params.get(name), str):
                # Undecodable JSON stays a string; the method refuses it with its own error.
                with contextlib.suppress(ValueError):
                    params[name] = json.loads(params[name])
        delay = self._latency.get(method, self._latency.get("*", 0.0))
        caller = self._tokens.get(token) if token else None
        if caller is not None:
            delay += self._latency.get(f"{method}@{caller}", self._latency.get(f"*@{caller}", 0.0))
        if delay:
            time.sleep(delay)
        problems = _precheck(method, params)
        with self._lock:
            team_id = self._tokens.get(token) if token else None
            reply, error = self._fault_reply(method, time.monotonic(), team_id)
            if reply is None:
                ctx = _Context(method, params, self._workspaces.get(team_id) if team_id else None, problems, basic)
                payload = self._dispatch(ctx, token, parse_error)
                error = None if payload.get("ok") else payload.get("error")
                team_id = ctx.workspace.team_id if ctx.workspace else team_id
                reply = _json_reply(payload, headers=self._scope_header(token))
            self._calls.append(Call(method, params, team_id, at, reply.status, error))
        return reply

    def _dispatch(self, ctx: _Context, token: str | None, parse_error: str | None) -> dict[str, Any]:
        handler = _METHODS.get(ctx.method)
        if handler is None:
            return {"ok": False, "error": "unknown_method", "req_method": ctx.method}
        if parse_error:
            return {"ok": False, "error": parse_error}
        if ctx.method not in _NO_AUTH_METHODS:
            if not token:
                return {"ok": False, "error": "not_authed"}
            if token in self._revoked:
                return {"ok": False, "error": self._revoked_errors.get(token, "token_revoked")}
            if ctx.method in _APP_TOKEN_METHODS:
                if token in self._app_tokens:
                    return {"ok": True, **_METHODS[ctx.method](self, ctx)}
                return {"ok": False, "error": "not_allowed_token_type" if token in self._tokens else "invalid_auth"}
            if ctx.workspace is None:
                return {"ok": False, "error": "invalid_auth"}
        try:
            return {"ok": True, **handler(self, ctx)}
        except _Refusal as refusal:
            answer: dict[str, Any] = {"ok": False, "error": refusal.error}
            if refusal.messages:
                answer["response_metadata"] = {"messages": refusal.messages}
            return answer

    def _fault_reply(self, method: str, now: float, team_id: str | None = None) -> tuple[_Reply | None, str | None]:
        queue = self._faults.get(method) or self._faults.get("*")
        if queue:
            fault = queue.popleft()
            headers: tuple[tuple[str, str], ...] = ()
            if fault.retry_after is not None:
                headers = (("Retry-After", _format_seconds(fault.retry_after)),)
            if fault.body is not None:
                return _Reply(fault.status, fault.body, fault.content_type, headers), fault.error
            return _json_reply({"ok": False, "error": fault.error}, fault.status, headers), fault.error
        for key in (f"{method}@{team_id}", method):
            bucket = self._buckets.get(key)
            if bucket is None:
                continue
            if self._refill(bucket, now) >= 1:
                bucket.tokens -= 1
            else:
                wait = (1 - bucket.tokens) / bucket.rate
                if bucket.precision:
                    retry = _format_seconds(math.ceil(wait / bucket.precision) * bucket.precision)
                else:
                    retry = str(max(1, math.ceil(wait)))
                reply = _json_reply({"ok": False, "error": "ratelimited"}, 429, (("Retry-After", retry),))
                return reply, "ratelimited"
        return None, None

    def _scope_header(self, token: str | None) -> tuple[tuple[str, str], ...]:
        """Slack names the scopes granted to a live token on every answer; a revoked or unknown token gets none."""
        if not token or token in self._revoked:
            return ()
        if token in self._app_tokens:
            return (("x-oauth-scopes", "connections:write"),)
        if token not in self._tokens:
            return ()
        scopes = self._granted_scopes.get(token)
        if scopes is None:
            from bot.oauth import BOT_SCOPES  # the manifest's bot scopes (a test keeps them equal)

            scopes = BOT_SCOPES
        return (("x-oauth-scopes", ",".join(scopes)),)

    def _control_rate_limit(self, body: bytes) -> _Reply:
        """`POST /_standin/rate_limit` {"method", "per_second" (null: none), "burst", "team_id"}: `rate_limit()`
        for a stand-in running in another process (a benchmark changing the limit in the middle of a round)."""
        try:
            spec = json.loads(body)
            rate = spec.get("per_second")
            self.rate_limit(
                str(spec["method"]),
                None if rate is None else float(rate),
                int(spec.get("burst") or 1),
                team_id=spec.get("team_id"),
            )
        except (ValueError, KeyError, TypeError, AttributeError):
            return _json_reply({"ok": False, "error": "invalid_arguments"}, 400)
        return _json_reply({"ok": True})

    def _response_post(self, url_id: str, body: bytes) -> _Reply:
        at = time.monotonic()
        try:
            payload = json.loads(body) if body else {}
        except ValueError:
            payload = None
        problems = None
        if isinstance(payload, dict) and isinstance(payload.get("blocks"), list) and payload["blocks"]:
            problems = find_block_problems(payload["blocks"], "message")
        with self._lock:
            entry = self._response_urls.get(url_id)
            status, error = 200, None
            if entry is None:
                status, error = 404, "no_service"
            elif at - entry.created > self.response_url_ttl:
                status, error = 404, "expired_url"
            elif entry.uses >= self.response_url_max_uses:
                status, error = 404, "used_url"
            elif not isinstance(payload, dict):
                status, error = 400, "invalid_payload"
            elif problems:
                status, error = 400, "invalid_blocks"
            elif not (payload.get("text") or payload.get("blocks") or payload.get("delete_original")):
                status, error = 400, "no_text"
            elif len(str(payload.get("text") or "")) > MESSAGE_TEXT_MAX:
                status, error = 400, "msg_too_long"
            if entry is not None and error is None and isinstance(payload, dict):
                entry.uses += 1
                self._apply_response(entry, payload)
            recorded = payload if isinstance(payload, dict) else {"_raw": body.decode("utf-8", "replace")}
            self._response_posts.append(ResponsePost(url_id, recorded, at, status, error))
        return _text_reply(status, error or "ok")

    def _apply_response(self, entry: _ResponseUrl, payload: dict[str, Any]) -> None:
        """What a response_url post shows: the original replaced or deleted, or a new (ephemeral) message."""
        key = (entry.channel_id or "", entry.message_ts or "")
        original = self._messages.get(key)
        if payload.get("delete_original"):
            self._messages.pop(key, None)
        elif payload.get("replace_original"):
            if original is not None:
                original["text"] = payload.get("text", "")
                if "blocks" in payload:
                    original["blocks"] = _with_ids(payload["blocks"])
        elif entry.channel_id:
            team = self._workspaces.get(entry.team_id or "")
            message: dict[str, Any] = {
                "type": "message",
                "subtype": "bot_message",
                "text": payload.get("text", ""),
                "user": team.bot_user_id if team else None,
                "bot_id": team.bot_id if team else None,
                "team": entry.team_id,
                "channel": entry.channel_id,
                "ts": self._new_ts(),
            }
            if payload.get("blocks"):
                message["blocks"] = _with_ids(payload["blocks"])
            if payload.get("thread_ts"):
                message["thread_ts"] = payload["thread_ts"]
            if payload.get("response_type") == "in_channel":
                self._messages[(entry.channel_id, message["ts"])] = message
            else:  # ephemeral is the default for response_url posts
                message["user"] = entry.user_id
                self._ephemerals.append(message)

    def _download(self, rest: str, headers: Message) -> _Reply:
        """url_private: the bytes for the file's workspace's bot token; Slack's sign-in page for anyone else."""
        token, _basic = _credentials(headers.get("Authorization"))
        file_id = rest.split("/", 1)[0].rpartition("-")[2]
        with self._lock:
            shared = self._files.get(file_id)
            if shared is None:
                self._downloads.append(Download(file_id, False, 404))
                return _text_reply(404, "file_not_found")
            authorized = bool(token) and token not in self._revoked and self._tokens.get(token or "") == shared.team_id
            self._downloads.append(Download(file_id, authorized, 200))
        if not authorized:
            return _Reply(200, b"<!DOCTYPE html><html><body>Sign in to Slack</body></html>", "text/html; charset=utf-8")
        return _Reply(200, shared.content, shared.mimetype)

    def _upload(self, file_id: str, body: bytes) -> _Reply:
        with self._lock:
            pending = self._pending_files.get(file_id)
            if pending is None:
                return _text_reply(404, "file_not_found")
            pending.content = body
        return _Reply(200, f"OK - {len(body)}".encode(), "text/plain; charset=utf-8")

    # -- helpers for the methods (called with the lock held) -----------------------------------------------

    def _new_id(self, prefix: str) -> str:
        return f"{prefix}{next(self._ids):08X}"

    def _new_ts(self) -> str:
        micros = max(int(time.time() * 1_000_000), self._last_ts + 1)
        self._last_ts = micros
        return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"

    def _user(self, team_id: str, user_id: str) -> _User | None:
        return self._users.get(team_id, {}).get(user_id)

    def _resolve_channel(self, ctx: _Context, channel: str | None) -> str:
        if not channel:
            raise _Refusal("channel_not_found")
        if _USER_ID.match(channel):
            user = self._user(ctx.team.team_id, channel)
            if user is None:
                raise _Refusal("channel_not_found")
            if user.deleted and self.deleted_user_dm_error:
                raise _Refusal(self.deleted_user_dm_error)
            channel = self.dm_channel_id(channel)
        elif not _CHANNEL_ID.match(channel):
            raise _Refusal("channel_not_found")
        error = self._channel_errors.get(channel)
        if error:
            raise _Refusal(error)
        return channel

    def _message_content(self, ctx: _Context) -> tuple[str | None, list[Any] | None]:
        text = ctx.params.get("text")
        blocks = ctx.params.get("blocks")
        if blocks is not None and not isinstance(blocks, list):
            raise _Refusal("invalid_blocks_format")
        if ctx.problems:
            raise _Refusal("invalid_blocks", [p.slack_message() for p in ctx.problems])
        if not text and not blocks and not ctx.params.get("attachments"):
            raise _Refusal("no_text")
        if text is not None and len(str(text)) > MESSAGE_TEXT_MAX:
            raise _Refusal("msg_too_long")
        return (None if text is None else str(text)), (blocks or None)

    def _bot_message(self, ctx: _Context, channel: str, text: str | None, blocks: list[Any] | None) -> dict[str, Any]:
        team = ctx.team
        message: dict[str, Any] = {
            "type": "message",
            "subtype": "bot_message",
            "text": text or "",
            "user": team.bot_user_id,
            "bot_id": team.bot_id,
            "app_id": team.app_id,
            "team": team.team_id,
            "channel": channel,
            "ts": self._new_ts(),
        }
        if blocks:
            message["blocks"] = _with_ids(blocks)
        for key in ("thread_ts", "attachments", "metadata"):
            if ctx.params.get(key):
                message[key] = ctx.params[key]
        return message

    def _exchange_trigger(self, ctx: _Context) -> _Trigger:
        trigger_id = ctx.text("trigger_id") or ctx.text("interactivity_pointer")
        trigger = self._triggers.get(trigger_id or "")
        if trigger is None:
            raise _Refusal("invalid_trigger_id")
        if trigger.used:
            raise _Refusal("exchanged_trigger_id")
        if time.monotonic() - trigger.created > self.trigger_ttl:
            raise _Refusal("expired_trigger_id")
        return trigger

    def _view_param(self, ctx: _Context, kind: str) -> dict[str, Any]:
        view = ctx.params.get("view")
        if not isinstance(view, dict):
            raise _Refusal("invalid_arguments", ["[ERROR] missing or malformed view [json-pointer:/view]"])
        if view_size(view) > VIEW_MAX_BYTES:
            raise _Refusal("view_too_large")
        if ctx.problems:
            raise _Refusal("invalid_arguments", [p.slack_message("/view") for p in ctx.problems])
        if view.get("type") != kind:
            raise _Refusal("invalid_arguments", [f"[ERROR] must be {kind} [json-pointer:/view/type]"])
        external_id = view.get("external_id")
        if external_id:
            for view_id, stored in self._views.items():
                if stored.get("external_id") == external_id and view_id != ctx.extra.get("replacing"):
                    raise _Refusal("duplicate_external_id")
        return view

    def _store_view(
        self, ctx: _Context, view: dict[str, Any], view_id: str, root_id: str, previous_id: str | None
    ) -> dict[str, Any]:
        team = ctx.team
        stored: dict[str, Any] = {
            "id": view_id,
            "team_id": team.team_id,
            "type": view["type"],
            "blocks": _with_ids(view.get("blocks") or []),
            "private_metadata": view.get("private_metadata", ""),
            "callback_id": view.get("callback_id", ""),
            "state": {"values": {}},
            "hash": f"{int(time.time())}.{secrets.token_hex(4)}",
            "title": view.get("title"),
            "clear_on_close": bool(view.get("clear_on_close", False)),
            "notify_on_close": bool(view.get("notify_on_close", False)),
            "close": view.get("close"),
            "submit": view.get("submit"),
            "previous_view_id": previous_id,
            "root_view_id": root_id,
            "app_id": team.app_id,
            "external_id": view.get("external_id", ""),
            "app_installed_team_id": team.team_id,
            "bot_id": team.bot_id,
        }
        self._views[view_id] = stored
        return stored

    def _user_object(self, user: _User) -> dict[str, Any]:
        try:
            now = datetime.now(ZoneInfo(user.tz))
            offset = now.utcoffset()
            tz_offset = int(offset.total_seconds()) if offset is not None else 0
            tz_label = now.tzname() or user.tz
        except (ZoneInfoNotFoundError, ValueError):
            tz_offset, tz_label = 0, user.tz
        profile: dict[str, Any] = {
            "real_name": user.real_name,
            "real_name_normalized": user.real_name,
            "display_name": user.display_name,
            "display_name_normalized": user.display_name,
            "team": user.team_id,
        }
        if user.email:
            profile["email"] = user.email
        return {
            "id": user.user_id,
            "team_id": user.team_id,
            "name": user.name,
            "deleted": user.deleted,
            "real_name": user.real_name,
            "tz": user.tz,
            "tz_label": tz_label,
            "tz_offset": tz_offset,
            "profile": profile,
            "is_admin": user.is_admin,
            "is_owner": user.is_owner,
            "is_primary_owner": False,
            "is_restricted": False,
            "is_ultra_restricted": False,
            "is_bot": user.is_bot,
            "is_app_user": False,
            "updated": int(time.time()),
        }

    # -- Web API methods (each runs with the lock held and returns the fields beside "ok": true) ------------

    def _api_test(self, ctx: _Context) -> dict[str, Any]:
        if ctx.params.get("error"):
            raise _Refusal(str(ctx.params["error"]))
        return {"args": {k: v for k, v in ctx.params.items() if isinstance(v, str)}}

    def _auth_test(self, ctx: _Context) -> dict[str, Any]:
        team = ctx.team
        return {
            "url": f"https://{team.domain}.slack.com/",
            "team": team.team_name,
            "user": "persona-bot",
            "team_id": team.team_id,
            "user_id": team.bot_user_id,
            "bot_id": team.bot_id,
            "app_id": team.app_id,
            "is_enterprise_install": False,
        }

    def _team_info(self, ctx: _Context) -> dict[str, Any]:
        team = ctx.team
        return {"team": {"id": team.team_id, "name": team.team_name, "domain": team.domain, "email_domain": ""}}

    def _chat_post_message(self, ctx: _Context) -> dict[str, Any]:
        channel = self._resolve_channel(ctx, ctx.text("channel"))
        text, blocks = self._message_content(ctx)
        message = self._bot_message(ctx, channel, text, blocks)
        self._messages[(channel, message["ts"])] = message
        answer = {k: v for k, v in message.items() if k != "channel"}
        return {"channel": channel, "ts": message["ts"], "message": answer}

    def _chat_post_ephemeral(self, ctx: _Context) -> dict[str, Any]:
        channel = self._resolve_channel(ctx, ctx.text("channel"))
        user_id = ctx.text("user")
        user = self._user(ctx.team.team_id, user_id or "")
        if user is None or user.deleted:
            raise _Refusal("user_not_in_channel")
        text, blocks = self._message_content(ctx)
        message = self._bot_message(ctx, channel, text, blocks)
        message["user"] = user.user_id
        self._ephemerals.append(message)
        return {"message_ts": message["ts"]}

    def _find_message(self, ctx: _Context, ts_param: str) -> tuple[tuple[str, str], dict[str, Any]]:
        channel = ctx.text("channel")
        if not channel:
            raise _Refusal("channel_not_found")
        if _USER_ID.match(channel):
            channel = self.dm_channel_id(channel)
        key = (channel, ctx.text(ts_param) or "")
        message = self._messages.get(key)
        if message is None:
            raise _Refusal("message_not_found")
        return key, message

    def _chat_update(self, ctx: _Context) -> dict[str, Any]:
        key, message = self._find_message(ctx, "ts")
        text, blocks = self._message_content(ctx)
        if text is not None:
            message["text"] = text
        if "blocks" in ctx.params:  # Slack keeps the old blocks when an update leaves them out
            if blocks:
                message["blocks"] = _with_ids(blocks)
            else:
                message.pop("blocks", None)
        message["edited"] = {"user": ctx.team.bot_user_id, "ts": self._new_ts()}
        answer = {k: v for k, v in message.items() if k != "channel"}
        return {"channel": key[0], "ts": key[1], "text": message["text"], "message": answer}

    def _chat_delete(self, ctx: _Context) -> dict[str, Any]:
        key, _ = self._find_message(ctx, "ts")
        del self._messages[key]
        return {"channel": key[0], "ts": key[1]}

    def _chat_get_permalink(self, ctx: _Context) -> dict[str, Any]:
        key, _ = self._find_message(ctx, "message_ts")
        permalink = f"https://{ctx.team.domain}.slack.com/archives/{key[0]}/p{key[1].replace('.', '')}"
        return {"channel": key[0], "permalink": permalink}

    def _conversations_open(self, ctx: _Context) -> dict[str, Any]:
        if ctx.text("channel"):
            return {"channel": {"id": ctx.text("channel")}, "no_op": True, "already_open": True}
        user_ids = [u.strip() for u in (ctx.text("users") or "").split(",") if u.strip()]
        if not user_ids:
            raise _Refusal("not_enough_users")
        for user_id in user_ids:
            user = self._user(ctx.team.team_id, user_id)
            if user is None:
                raise _Refusal("user_not_found")
            if user.deleted:
                raise _Refusal("user_disabled")
        if len(user_ids) == 1:
            channel_id = self.dm_channel_id(user_ids[0])
        else:
            channel_id = "G" + hashlib.sha1(",".join(sorted(user_ids)).encode()).hexdigest()[:10].upper()
        key = (ctx.team.team_id, channel_id)
        already = key in self._open_dms
        self._open_dms.add(key)
        answer: dict[str, Any] = {"channel": {"id": channel_id}}
        if already:
            answer.update(no_op=True, already_open=True)
        return answer

    def _conversations_history(self, ctx: _Context) -> dict[str, Any]:
        team_id = ctx.team.team_id
        channel = ctx.text("channel") or ""
        if _USER_ID.match(channel):  # Slack wants the conversation id here, not a user id
            raise _Refusal("channel_not_found")
        known = (
            (team_id, channel) in self._open_dms
            or any(self.dm_channel_id(user_id) == channel for user_id in self._users.get(team_id, {}))
            or any(m["channel"] == channel and m.get("team") == team_id for m in self._messages.values())
        )
        if not _CHANNEL_ID.match(channel) or not known:
            raise _Refusal("channel_not_found")
        inclusive = _flag(ctx.params.get("inclusive"))
        oldest = _ts_param(ctx, "oldest", "0")
        latest = _ts_param(ctx, "latest", f"{time.time() + 1:.6f}")
        try:
            limit = int(ctx.params.get("limit") or 100)
        except ValueError:
            raise _Refusal("invalid_limit") from None
        limit = min(max(limit, 1), 999)
        found = sorted(
            (
                m
                for (ch, _), m in self._messages.items()
                if ch == channel
                and m.get("team") == team_id
                and (oldest <= float(m["ts"]) if inclusive else oldest < float(m["ts"]))
                and (float(m["ts"]) <= latest if inclusive else float(m["ts"]) < latest)
            ),
            key=lambda m: float(m["ts"]),
            reverse=True,
        )
        start = 0
        cursor = ctx.text("cursor")
        if cursor:
            try:
                before = base64.b64decode(cursor, validate=True).decode()
            except (binascii.Error, UnicodeDecodeError):
                raise _Refusal("invalid_cursor") from None
            stamps = [m["ts"] for m in found]
            if not before.startswith("ts:") or before[3:] not in stamps:
                raise _Refusal("invalid_cursor")
            start = stamps.index(before[3:])
        page = found[start : start + limit]
        more = start + limit < len(found)
        with_metadata = _flag(ctx.params.get("include_all_metadata"))
        messages = [
            {k: copy.deepcopy(v) for k, v in m.items() if k != "channel" and (with_metadata or k != "metadata")}
            for m in page
        ]
        next_cursor = base64.b64encode(f"ts:{found[start + limit]['ts']}".encode()).decode() if more else ""
        return {
            "messages": messages,
            "has_more": more,
            "pin_count": 0,
            "response_metadata": {"next_cursor": next_cursor},
        }

    def _views_open(self, ctx: _Context) -> dict[str, Any]:
        trigger = self._exchange_trigger(ctx)
        view = self._view_param(ctx, "modal")
        trigger.used = True
        view_id = self._new_id("V")
        stored = self._store_view(ctx, view, view_id, view_id, None)
        stack_key = (ctx.team.team_id, trigger.user_id)
        self._stacks[stack_key] = [view_id]
        self._view_users[view_id] = stack_key
        self._last_view_by_user[trigger.user_id] = view_id
        self._last_view_by_user[None] = view_id
        return {"view": stored}

    def _views_push(self, ctx: _Context) -> dict[str, Any]:
        trigger = self._exchange_trigger(ctx)
        view = self._view_param(ctx, "modal")
        stack_key = (ctx.team.team_id, trigger.user_id)
        stack = self._stacks.setdefault(stack_key, [])
        if len(stack) >= VIEW_STACK_MAX:
            raise _Refusal("push_limit_reached")
        trigger.used = True
        view_id = self._new_id("V")
        stored = self._store_view(ctx, view, view_id, stack[0] if stack else view_id, stack[-1] if stack else None)
        stack.append(view_id)
        self._view_users[view_id] = stack_key
        self._last_view_by_user[trigger.user_id] = view_id
        self._last_view_by_user[None] = view_id
        return {"view": stored}

    def _views_update(self, ctx: _Context) -> dict[str, Any]:
        view_id, external_id = ctx.text("view_id"), ctx.text("external_id")
        if not view_id and not external_id:
            raise _Refusal("invalid_arguments", ["[ERROR] view_id or external_id is required"])
        current = self._views.get(view_id or "")
        if current is None and external_id:
            current = next((v for v in self._views.values() if v.get("external_id") == external_id), None)
        if current is None:
            raise _Refusal("not_found")
        wanted_hash = ctx.text("hash")
        if wanted_hash and wanted_hash != current["hash"]:
            raise _Refusal("hash_conflict")
        ctx.extra["replacing"] = current["id"]
        view = self._view_param(ctx, current["type"])
        stored = self._store_view(ctx, view, current["id"], current["root_view_id"], current["previous_view_id"])
        return {"view": stored}

    def _views_publish(self, ctx: _Context) -> dict[str, Any]:
        user_id = ctx.required("user_id")
        if not _USER_ID.match(user_id):
            raise _Refusal("invalid_arguments", ["[ERROR] user_id must be a user id [json-pointer:/user_id]"])
        key = (ctx.team.team_id, user_id)
        current = self._homes.get(key)
        wanted_hash = ctx.text("hash")
        if wanted_hash and current is not None and wanted_hash != current["hash"]:
            raise _Refusal("hash_conflict")
        if current is not None:
            ctx.extra["replacing"] = current["id"]
        view = self._view_param(ctx, "home")
        view_id = current["id"] if current is not None else self._new_id("V")
        stored = self._store_view(ctx, view, view_id, view_id, None)
        self._homes[key] = stored
        return {"view": stored}

    def _users_info(self, ctx: _Context) -> dict[str, Any]:
        user = self._user(ctx.team.team_id, ctx.text("user") or "")
        if user is None:
            raise _Refusal("user_not_found")
        return {"user": self._user_object(user)}

    def _users_list(self, ctx: _Context) -> dict[str, Any]:
        members = list(self._users.get(ctx.team.team_id, {}).values())
        start = 0
        cursor = ctx.text("cursor")
        if cursor:
            try:
                after = base64.b64decode(cursor, validate=True).decode()
            except (binascii.Error, UnicodeDecodeError):
                raise _Refusal("invalid_cursor") from None
            ids = [m.user_id for m in members]
            if not after.startswith("user:") or after[5:] not in ids:
                raise _Refusal("invalid_cursor")
            start = ids.index(after[5:])
        try:
            limit = int(ctx.params.get("limit") or 0)
        except ValueError:
            raise _Refusal("invalid_limit") from None
        end = len(members) if limit <= 0 else min(len(members), start + limit)
        next_cursor = ""
        if end < len(members):
            next_cursor = base64.b64encode(f"user:{members[end].user_id}".encode()).decode()
        return {
            "members": [self._user_object(u) for u in members[start:end]],
            "cache_ts": int(time.time()),
            "response_metadata": {"next_cursor": next_cursor},
        }

    def _users_lookup_by_email(self, ctx: _Context) -> dict[str, Any]:
        email = (ctx.text("email") or "").strip()
        if "@" not in email:
            raise _Refusal("invalid_email")
        for user in self._users.get(ctx.team.team_id, {}).values():
            if user.email is not None and user.email.casefold() == email.casefold():
                return {"user": self._user_object(user)}
        raise _Refusal("users_not_found")

    def _usergroups_list(self, ctx: _Context) -> dict[str, Any]:
        groups = self._usergroups.get(ctx.team.team_id, {})
        return {
            "usergroups": [
                {"id": gid, "team_id": ctx.team.team_id, "handle": handle, "name": handle, "user_count": len(members)}
                for gid, (handle, members) in groups.items()
            ]
        }

    def _usergroups_users_list(self, ctx: _Context) -> dict[str, Any]:
        group = self._usergroups.get(ctx.team.team_id, {}).get(ctx.text("usergroup") or "")
        if group is None:
            raise _Refusal("no_such_subteam")
        return {"users": list(group[1])}

    def _conversations_members(self, ctx: _Context) -> dict[str, Any]:
        members = self._channels.get(ctx.team.team_id, {}).get(ctx.text("channel") or "")
        if members is None:
            raise _Refusal("channel_not_found")
        start = 0
        cursor = ctx.text("cursor")
        if cursor:
            try:
                start = int(base64.b64decode(cursor, validate=True).decode().removeprefix("member:"))
            except (binascii.Error, UnicodeDecodeError, ValueError):
                raise _Refusal("invalid_cursor") from None
            if not 0 <= start < len(members):
                raise _Refusal("invalid_cursor")
        try:
            limit = int(ctx.params.get("limit") or 100)
        except ValueError:
            raise _Refusal("invalid_limit") from None
        end = min(len(members), start + max(limit, 1))
        next_cursor = base64.b64encode(f"member:{end}".encode()).decode() if end < len(members) else ""
        return {"members": members[start:end], "response_metadata": {"next_cursor": next_cursor}}

    def _files_get_upload_url_external(self, ctx: _Context) -> dict[str, Any]:
        filename = ctx.required("filename")
        try:
            length = int(ctx.required("length"))
        except ValueError:
            raise _Refusal("invalid_arguments", ["[ERROR] length must be a whole number"]) from None
        if length < 0:
            raise _Refusal("invalid_arguments", ["[ERROR] length must not be negative"])
        file_id = self._new_id("F")
        self._pending_files[file_id] = _PendingFile(
            file_id, ctx.team.team_id, filename, length, alt_text=ctx.text("alt_txt")
        )
        return {"upload_url": f"{self.base_url}/upload/{file_id}", "file_id": file_id}

    def _files_complete_upload_external(self, ctx: _Context) -> dict[str, Any]:
        files = ctx.params.get("files")
        if not isinstance(files, list) or not files or not all(isinstance(f, dict) for f in files):
            raise _Refusal("invalid_arguments", ["[ERROR] files must be a JSON array of {id, title}"])
        pending: list[tuple[_PendingFile, dict[str, Any]]] = []
        for entry in files:
            found = self._pending_files.get(str(entry.get("id")))
            if found is None or found.content is None or found.team_id != ctx.team.team_id:
                raise _Refusal("file_not_found")
            pending.append((found, entry))
        channels = [c for c in (ctx.text("channels") or "").split(",") if c]
        channel_id = ctx.text("channel_id") or (channels[0] if channels else None)
        if channel_id is not None and (not _CHANNEL_ID.match(channel_id) or channel_id in self._channel_errors):
            raise _Refusal("invalid_channel")
        answer = []
        for found, entry in pending:
            del self._pending_files[found.file_id]
            title = entry.get("title") or found.filename
            assert found.content is not None
            filetype, mimetype, pretty = detect_file_type(found.content, found.filename)
            size = png_size(found.content) if filetype == "png" else None
            self._uploads.append(
                Upload(
                    file_id=found.file_id,
                    team_id=found.team_id,
                    filename=found.filename,
                    title=title,
                    content=found.content,
                    channel_id=channel_id,
                    initial_comment=ctx.text("initial_comment"),
                    thread_ts=ctx.text("thread_ts"),
                    filetype=filetype,
                    mimetype=mimetype,
                    alt_text=found.alt_text,
                    image_size=size,
                )
            )
            described: dict[str, Any] = {
                "id": found.file_id,
                "title": title,
                "name": found.filename,
                "size": len(found.content),
                "filetype": filetype,
                "mimetype": mimetype,
                "pretty_type": pretty,
            }
            if size is not None:
                described["original_w"], described["original_h"] = size
            answer.append(described)
        return {"files": answer}

    def _files_info(self, ctx: _Context) -> dict[str, Any]:
        shared = self._files.get(ctx.required("file"))
        if shared is None or shared.team_id != ctx.team.team_id:
            raise _Refusal("file_not_found")
        url = f"{self.base_url}/files-pri/{shared.team_id}-{shared.file_id}/{shared.filename}"
        where = shared.channel_id
        return {
            "file": {
                "id": shared.file_id,
                "created": shared.created,
                "timestamp": shared.created,
                "name": shared.filename,
                "title": shared.filename,
                "mimetype": shared.mimetype,
                "filetype": shared.filetype,
                "user": shared.user_id,
                "user_team": shared.team_id,
                "mode": "hosted",
                "is_external": False,
                "size": len(shared.content),
                "url_private": url,
                "url_private_download": f"{url}?download=1",
                "channels": [where] if where and where.startswith("C") else [],
                "groups": [where] if where and where.startswith("G") else [],
                "ims": [where] if where and where.startswith("D") else [],
            },
            "comments": [],
        }

    def _apps_connections_open(self, ctx: _Context) -> dict[str, Any]:
        # Nothing listens at this URL: a Socket Mode client that gets this far fails to connect and retries.
        return {"url": f"wss://{self.host}:{self.port}/link/?ticket={secrets.token_hex(8)}&app_id={DEFAULT_APP_ID}"}

    def _oauth_v2_access(self, ctx: _Context) -> dict[str, Any]:
        client_id, client_secret = ctx.basic_auth or (ctx.text("client_id"), ctx.text("client_secret"))
        if client_id != self.client_id:
            raise _Refusal("invalid_client_id")
        if client_secret != self.client_secret:
            raise _Refusal("bad_client_secret")
        code = ctx.text("code") or ""
        grant = self._oauth_codes.get(code)
        if grant is None:
            raise _Refusal("invalid_code")
        if grant.redirect_uri is not None and ctx.text("redirect_uri") != grant.redirect_uri:
            raise _Refusal("bad_redirect_uri")
        del self._oauth_codes[code]  # a code is exchanged once
        workspace = _Workspace(
            team_id=grant.team_id,
            team_name=grant.team_name,
            bot_token=grant.bot_token,
            bot_user_id=grant.bot_user_id,
            bot_id=f"B{grant.team_id[1:]}",
            app_id=grant.app_id,
            domain=grant.team_id.lower(),
        )
        self._add_workspace(workspace)
        self._granted_scopes[grant.bot_token] = tuple(s.strip() for s in grant.scope.split(",") if s.strip())
        ctx.workspace = workspace
        return {
            "access_token": grant.bot_token,
            "token_type": "bot",
            "scope": grant.scope,
            "bot_user_id": grant.bot_user_id,
            "app_id": grant.app_id,
            "team": {"id": grant.team_id, "name": grant.team_name},
            "enterprise": None,
            "authed_user": {"id": grant.authed_user_id},
            "is_enterprise_install": False,
        }


_METHODS: dict[str, Callable[[SlackStandin, _Context], dict[str, Any]]] = {
    "api.test": SlackStandin._api_test,
    "auth.test": SlackStandin._auth_test,
    "team.info": SlackStandin._team_info,
    "chat.postMessage": SlackStandin._chat_post_message,
    "chat.postEphemeral": SlackStandin._chat_post_ephemeral,
    "chat.update": SlackStandin._chat_update,
    "chat.delete": SlackStandin._chat_delete,
    "chat.getPermalink": SlackStandin._chat_get_permalink,
    "conversations.open": SlackStandin._conversations_open,
    "conversations.history": SlackStandin._conversations_history,
    "views.open": SlackStandin._views_open,
    "views.push": SlackStandin._views_push,
    "views.update": SlackStandin._views_update,
    "views.publish": SlackStandin._views_publish,
    "users.info": SlackStandin._users_info,
    "users.list": SlackStandin._users_list,
    "users.lookupByEmail": SlackStandin._users_lookup_by_email,
    "usergroups.list": SlackStandin._usergroups_list,
    "usergroups.users.list": SlackStandin._usergroups_users_list,
    "conversations.members": SlackStandin._conversations_members,
    "files.getUploadURLExternal": SlackStandin._files_get_upload_url_external,
    "files.completeUploadExternal": SlackStandin._files_complete_upload_external,
    "files.info": SlackStandin._files_info,
    "oauth.v2.access": SlackStandin._oauth_v2_access,
    "apps.connections.open": SlackStandin._apps_connections_open,
}
_APP_TOKEN_METHODS = {"apps.connections.open"}
_BLOCK_METHODS = {"chat.postMessage", "chat.postEphemeral", "chat.update"}
_VIEW_METHODS = {"views.open", "views.push", "views.update", "views.publish"}


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
            raise _Refusal("invalid_json") from None
        if not isinstance(parsed, dict):
            raise _Refusal("invalid_json")
        return parsed
    if kind in ("application/x-www-form-urlencoded", "text/plain", ""):
        try:
            return dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
        except UnicodeDecodeError:
            raise _Refusal("invalid_form_data") from None
    raise _Refusal("invalid_post_type")


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


def _flag(value: Any) -> bool:
    """A boolean parameter as Slack reads it: true, 1 (slack-sdk sends 1/0 or True/False)."""
    return str(value).strip().lower() in ("1", "true")


def _ts_param(ctx: _Context, name: str, default: str) -> float:
    raw = ctx.text(name) or default
    try:
        return float(raw)
    except ValueError:
        raise _Refusal(f"invalid_ts_{name}") from None


def _format_seconds(seconds: float) -> str:
    if float(seconds).is_integer():
        return str(int(seconds))
    return f"{seconds:.3f}".rstrip("0").rstrip(".")


def _auto_id() -> str:
    """A short id like the ones Slack makes up for blocks and elements an app left unnamed."""
    return f"{next(_AUTO_IDS):X}"


def _with_ids(blocks: list[Any]) -> list[Any]:
    """A copy of `blocks` with the block_ids and action_ids Slack generates when an app leaves them out."""
    copied: list[Any] = json.loads(json.dumps(blocks))  # a JSON round trip copies faster than deepcopy
    for block in copied:
        if not isinstance(block, dict):
            continue
        if "block_id" not in block:
            block["block_id"] = _auto_id()
        for element in _interactive_elements(block):
            element.setdefault("action_id", _auto_id())
    return copied


def _interactive_elements(block: dict[str, Any]) -> Iterator[dict[str, Any]]:
    candidates: list[Any] = []
    if block.get("type") == "actions":
        candidates = list(block.get("elements") or [])
    elif block.get("type") == "input":
        candidates = [block.get("element")]
    elif block.get("type") == "section":
        candidates = [block.get("accessory")]
    for element in candidates:
        if isinstance(element, dict) and element.get("type") not in (None, "image"):
            yield element
