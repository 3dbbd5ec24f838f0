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

import copy
import secrets
import time
from collections.abc import Callable
from email.message import Message
from types import TracebackType
from typing import Any, TypeVar

from slack_standin.faults import Faults
from slack_standin.http import Endpoint
from slack_standin.replies import Reply
from slack_standin.state import (
    DEFAULT_APP_ID,
    Call,
    Download,
    OAuthGrant,
    ResponsePost,
    ResponseUrl,
    SharedFile,
    Trigger,
    Upload,
    User,
    Workspace,
    World,
    dm_channel_id,
)
from slack_standin.users import user_object

__all__ = ["DEFAULT_APP_ID", "Call", "Download", "ResponsePost", "SharedFile", "SlackStandin", "Upload"]

_T = TypeVar("_T")

DEFAULT_CLIENT_ID = "1111.2222"
DEFAULT_CLIENT_SECRET = "standin-client-secret"


class SlackStandin(Faults):
    """Slack's Web API on 127.0.0.1, with setup, recording and fault injection for tests.

    `SlackStandin(team_id="T0TEST", bot_token="xoxb-test")` registers one workspace; `team_id=None` none.
    Use as a context manager, or `start()` / `stop()`; point slack-sdk at `api_url`.
    `clock` (default `time.monotonic`) ages triggers, response_urls and rate-limit buckets and stamps calls;
    `sleep` (default `time.sleep`) serves `latency()`. A test may pass its own to count instead of waiting.
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
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
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
        self._world = World(clock)
        self._lock = self._world.lock
        super().__init__(self._lock, clock)
        self._endpoint = Endpoint(self._world, self, self, sleep, router=self._route)
        if team_id is not None:
            self.add_workspace(team_id, bot_token, bot_user_id, team_name=team_name)

    # -- lifecycle -----------------------------------------------------------------------------------------

    def start(self) -> SlackStandin:
        if not self._endpoint.running:
            self.port = self._endpoint.start(self.host, self.port)
        return self

    def stop(self) -> None:
        self._endpoint.stop()

    def __enter__(self) -> SlackStandin:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        if not self._endpoint.running:
            raise RuntimeError("the Slack stand-in is not running; call start() first")
        return f"http://{self.host}:{self.port}"

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/api/"

    def _route(self, verb: str, target: str, headers: Message, body: bytes) -> Reply:
        """Every request the stand-in serves passes here: a subclass may hold or observe them (see
        tests/e2e/test_acks_first.py) and call `super()._route`."""
        return self._endpoint.route(verb, target, headers, body)

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
        workspace = Workspace.named(
            team_id, bot_token, bot_user_id, team_name=team_name, bot_id=bot_id, app_id=app_id, domain=domain
        )
        with self._lock:
            self._world.add_workspace(workspace)

    def revoke_token(self, token: str, error: str = "token_revoked") -> None:
        """Later calls with `token` answer `error`: `token_revoked` as after an uninstall, `invalid_auth` as for a
        mistyped or regenerated token."""
        with self._lock:
            self._world.revoked.add(token)
            self._world.revoked_errors[token] = error

    def grant_scopes(self, token: str, scopes: tuple[str, ...] | list[str] | None) -> None:
        """The scopes Slack says (`x-oauth-scopes`) it granted to `token`; None: the manifest's bot scopes."""
        with self._lock:
            if scopes is None:
                self._world.granted_scopes.pop(token, None)
            else:
                self._world.granted_scopes[token] = tuple(scopes)

    def add_app_token(self, token: str) -> None:
        """An app-level token (`xapp-…`, connections:write) that apps.connections.open accepts."""
        with self._lock:
            self._world.app_tokens.add(token)
            self._world.revoked.discard(token)

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
            self._world.users.setdefault(team_id, {})[user_id] = User(
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
                file_id=self._world.new_id("F"),
                team_id=team_id,
                user_id=user_id,
                filename=filename,
                content=content,
                mimetype=mimetype,
                filetype=filetype,
                channel_id=channel_id if channel_id is not None else dm_channel_id(user_id),
                created=int(time.time()),
            )
            self._world.files[shared.file_id] = shared
        return shared

    def add_usergroup(self, team_id: str, group_id: str, handle: str, members: list[str]) -> None:
        """A user group (`S…`, shown as @handle) with these members; called again, it replaces them."""
        with self._lock:
            self._world.usergroups.setdefault(team_id, {})[group_id] = (handle, list(members))

    def add_channel(self, team_id: str, channel_id: str, members: list[str]) -> None:
        """A channel with these members (for conversations.members); called again, it replaces them."""
        with self._lock:
            self._world.channels.setdefault(team_id, {})[channel_id] = list(members)

    def set_channel_error(self, channel: str, error: str | None) -> None:
        """Make posts to `channel` answer `error` (e.g. is_archived, not_in_channel); None undoes it."""
        with self._lock:
            if error is None:
                self._world.channel_errors.pop(channel, None)
            else:
                self._world.channel_errors[channel] = error

    def new_trigger_id(self, user_id: str | None = None, team_id: str | None = None) -> str:
        """A trigger id valid for `trigger_ttl` seconds and one views.open / views.push."""
        with self._lock:
            trigger_id = f"{self._world.new_serial()}.{int(time.time())}.{secrets.token_hex(16)}"
            self._world.triggers[trigger_id] = Trigger(self._world.clock(), user_id, team_id)
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
            entry = ResponseUrl(self._world.clock(), team_id, channel_id, user_id, message_ts)
            self._world.response_urls[url_id] = entry
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
            self._world.oauth_codes[code] = OAuthGrant(
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
        return dm_channel_id(user_id)

    # -- reading back --------------------------------------------------------------------------------------

    def calls(self, method: str | None = None, team_id: str | None = None) -> list[Call]:
        with self._lock:
            return [
                c
                for c in self._world.calls
                if (method is None or c.method == method) and (team_id is None or c.team_id == team_id)
            ]

    def messages(self, channel: str | None = None) -> list[dict[str, Any]]:
        """Posted messages in their current state (updated, not deleted), oldest first, each with `channel`."""
        with self._lock:
            found = [m for m in self._world.messages.values() if channel is None or m["channel"] == channel]
            return copy.deepcopy(sorted(found, key=lambda m: m["ts"]))

    def ephemeral_messages(self, channel: str | None = None, user_id: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            return copy.deepcopy(
                [
                    m
                    for m in self._world.ephemerals
                    if (channel is None or m["channel"] == channel) and (user_id is None or m["user"] == user_id)
                ]
            )

    def response_posts(self, id: str | None = None) -> list[ResponsePost]:
        """Posts to response_urls (accepted and refused); `id` is the URL's last path part or the whole URL."""
        url_id = id.rstrip("/").rsplit("/", 1)[-1] if id else None
        with self._lock:
            return [p for p in self._world.response_posts if url_id is None or p.url_id == url_id]

    def uploads(self) -> list[Upload]:
        with self._lock:
            return list(self._world.uploads)

    def downloads(self) -> list[Download]:
        with self._lock:
            return list(self._world.downloads)

    def view(self, view_id: str) -> dict[str, Any]:
        with self._lock:
            return copy.deepcopy(self._world.views[view_id])

    def last_view(self, user_id: str | None = None) -> dict[str, Any] | None:
        """The view most recently opened or pushed (for `user_id`), in its current state, or None."""
        with self._lock:
            view_id = self._world.last_view_by_user.get(user_id)
            return copy.deepcopy(self._world.views[view_id]) if view_id else None

    def view_stack(self, team_id: str, user_id: str | None) -> list[dict[str, Any]]:
        with self._lock:
            return [copy.deepcopy(self._world.views[v]) for v in self._world.stacks.get((team_id, user_id), [])]

    def home_view(self, team_id: str, user_id: str) -> dict[str, Any] | None:
        with self._lock:
            home = self._world.homes.get((team_id, user_id))
            return copy.deepcopy(home) if home else None

    def user_info(self, team_id: str, user_id: str) -> dict[str, Any] | None:
        """The user object users.info would answer with, or None for an unknown user."""
        with self._lock:
            user = self._world.user(team_id, user_id)
            return user_object(user) if user else None

    def bot_user_id(self, team_id: str) -> str | None:
        with self._lock:
            ws = self._world.workspaces.get(team_id)
            return ws.bot_user_id if ws else None

    def connections_opened(self) -> int:
        """How many TCP connections clients have opened to the stand-in (keep-alive reuses one)."""
        return self._endpoint.connections_opened

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
            self._world.forget_recordings()

    def reset(self) -> None:
        """Forget everything, back to the state the constructor left (its default workspace included)."""
        with self._lock:
            self._world.forget_everything()
            self._forget_faults()
        team_id, bot_token, bot_user_id, team_name = self._default_workspace
        if team_id is not None:
            self.add_workspace(team_id, bot_token, bot_user_id, team_name=team_name)
