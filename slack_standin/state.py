"""What the stand-in knows: workspaces, tokens, users, channels, messages, views and files, behind one lock.

The records a test reads back (`Call`, `ResponsePost`, `Upload`, `SharedFile`, `Download`) are frozen; the rest
is the stand-in's own bookkeeping, mutated only with `World.lock` held.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["Call", "Download", "ResponsePost", "SharedFile", "Upload", "World"]

DEFAULT_APP_ID = "A0STANDIN"


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
class Workspace:
    team_id: str
    team_name: str
    bot_token: str
    bot_user_id: str
    bot_id: str
    app_id: str
    domain: str

    @classmethod
    def named(
        cls,
        team_id: str,
        bot_token: str,
        bot_user_id: str,
        *,
        team_name: str | None = None,
        bot_id: str | None = None,
        app_id: str = DEFAULT_APP_ID,
        domain: str | None = None,
    ) -> Workspace:
        """A workspace with the names Slack would give it when the caller leaves them out."""
        return cls(
            team_id=team_id,
            team_name=team_name or f"Workspace {team_id}",
            bot_token=bot_token,
            bot_user_id=bot_user_id,
            bot_id=bot_id or f"B{team_id[1:]}",
            app_id=app_id,
            domain=domain or team_id.lower(),
        )


@dataclass
class User:
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
class Trigger:
    created: float
    user_id: str | None
    team_id: str | None
    used: bool = False


@dataclass
class ResponseUrl:
    created: float
    team_id: str | None
    channel_id: str | None
    user_id: str | None
    message_ts: str | None
    uses: int = 0


@dataclass
class PendingFile:
    file_id: str
    team_id: str
    filename: str
    length: int
    content: bytes | None = None
    alt_text: str | None = None


@dataclass
class OAuthGrant:
    team_id: str
    team_name: str
    bot_token: str
    bot_user_id: str
    scope: str
    authed_user_id: str
    app_id: str
    redirect_uri: str | None


def dm_channel_id(user_id: str) -> str:
    """The DM channel id the stand-in gives a user: stable, derived from the user id."""
    return ("D" if user_id.startswith("U") else "DW") + user_id[1:]


class World:
    """The stand-in's state. `forget_everything()` is the constructor's state; `forget_recordings()` keeps setup."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.lock = threading.Lock()
        self.clock = clock  # what ages triggers, response_urls and rate-limit buckets; tests may pass their own
        self.forget_everything()

    def forget_everything(self) -> None:
        self._ids = itertools.count(1)
        self._last_ts = 0
        self.workspaces: dict[str, Workspace] = {}
        self.tokens: dict[str, str] = {}  # bot token -> team id
        self.revoked: set[str] = set()
        self.revoked_errors: dict[str, str] = {}
        self.granted_scopes: dict[str, tuple[str, ...]] = {}
        self.app_tokens: set[str] = set()
        self.users: dict[str, dict[str, User]] = {}
        self.usergroups: dict[str, dict[str, tuple[str, list[str]]]] = {}  # team -> id -> (handle, members)
        self.channels: dict[str, dict[str, list[str]]] = {}  # team -> channel id -> members
        self.channel_errors: dict[str, str] = {}
        self.triggers: dict[str, Trigger] = {}
        self.response_urls: dict[str, ResponseUrl] = {}
        self.oauth_codes: dict[str, OAuthGrant] = {}
        self.files: dict[str, SharedFile] = {}
        self.forget_recordings()

    def forget_recordings(self) -> None:
        self.calls: list[Call] = []
        self.messages: dict[tuple[str, str], dict[str, Any]] = {}  # (channel, ts) -> message
        self.ephemerals: list[dict[str, Any]] = []
        self.response_posts: list[ResponsePost] = []
        self.pending_files: dict[str, PendingFile] = {}
        self.uploads: list[Upload] = []
        self.views: dict[str, dict[str, Any]] = {}
        self.view_users: dict[str, tuple[str, str | None]] = {}
        self.stacks: dict[tuple[str, str | None], list[str]] = {}
        self.last_view_by_user: dict[str | None, str] = {}
        self.homes: dict[tuple[str, str], dict[str, Any]] = {}
        self.open_dms: set[tuple[str, str]] = set()
        self.downloads: list[Download] = []

    # -- called with the lock held --------------------------------------------------------------------------

    def new_id(self, prefix: str) -> str:
        return f"{prefix}{next(self._ids):08X}"

    def new_serial(self) -> int:
        return next(self._ids)

    def new_ts(self) -> str:
        micros = max(int(time.time() * 1_000_000), self._last_ts + 1)
        self._last_ts = micros
        return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"

    def user(self, team_id: str, user_id: str) -> User | None:
        return self.users.get(team_id, {}).get(user_id)

    def add_workspace(self, ws: Workspace) -> None:
        old = self.workspaces.get(ws.team_id)
        if old is not None:
            self.tokens.pop(old.bot_token, None)
        self.workspaces[ws.team_id] = ws
        self.tokens[ws.bot_token] = ws.team_id
        self.revoked.discard(ws.bot_token)
        self.users.setdefault(ws.team_id, {})

    def team_of(self, token: str | None) -> str | None:
        """The team a live-or-revoked bot token belongs to (None for no token or an unknown one)."""
        return self.tokens.get(token) if token else None
