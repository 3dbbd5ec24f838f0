"""Many workspaces: Slack's OAuth install flow and per-workspace bot tokens, stored on DATABASE_URL.

Switched on by SLACK_CLIENT_ID + SLACK_CLIENT_SECRET (`Settings.oauth_enabled`); without them persona-bot runs in
single-workspace mode with SLACK_BOT_TOKEN. slack-sdk's own SQLAlchemy stores do the storing; their tables are
created by our migrations (persona_store/models.py declares them column for column, so `db upgrade` covers them).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_sdk import WebClient
from slack_sdk.oauth.installation_store import Installation
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import Engine, inspect
from sqlalchemy.orm import Session, sessionmaker

from bot.config import Settings, SettingsError
from bot.slack.clients import SlackClients, SlackUnavailable, make_web_client
from persona_store.installations import installed_team_ids, record_install
from persona_store.models import slack_bots, slack_installations, slack_oauth_states

if TYPE_CHECKING:
    from wsgiref.types import StartResponse, WSGIEnvironment

INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"
# The bot scopes in manifest.yml; an install asks for exactly these.
BOT_SCOPES = (
    "commands",
    "chat:write",
    "im:write",
    "im:history",
    "users:read",
    "files:write",
    "files:read",  # deal exports DMed to the bot (bot/listeners/outcomes.py)
    # the roster: emails, user groups and channel members (bot/slack/directory.py)
    "users:read.email",
    "usergroups:read",
    "channels:read",
    "groups:read",
)
STATE_EXPIRATION_SECONDS = 600
OAUTH_TABLES = (slack_installations.name, slack_bots.name, slack_oauth_states.name)


class PersonaInstallationStore(SQLAlchemyInstallationStore):
    """slack-sdk's store on our engine; a finished install also makes the workspace active (again)."""

    def __init__(self, client_id: str, sessions: sessionmaker[Session]) -> None:
        super().__init__(client_id=client_id, engine=sessions.kw["bind"])
        self._sessions = sessions

    def save(self, installation: Installation) -> None:
        super().save(installation)
        if installation.team_id:  # a finished install (or a reinstall after an uninstall)
            with self._sessions.begin() as s:
                record_install(s, installation.team_id, installation.team_name)


def require_oauth_tables(engine: Engine) -> None:
    missing = set(OAUTH_TABLES) - set(inspect(engine).get_table_names())
    if missing:
        raise SettingsError("the OAuth tables are missing from the database; run `persona-bot db upgrade`")


def installation_store(settings: Settings, sessions: sessionmaker[Session]) -> PersonaInstallationStore:
    settings.require("SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET", command="serve")
    require_oauth_tables(sessions.kw["bind"])
    return PersonaInstallationStore(settings.slack_client_id or "", sessions)


def build_oauth_settings(settings: Settings, sessions: sessionmaker[Session]) -> OAuthSettings:
    engine: Engine = sessions.kw["bind"]
    return OAuthSettings(
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret,
        scopes=list(BOT_SCOPES),
        installation_store=installation_store(settings, sessions),
        # persona-bot acts as its bot only; an uninstall deletes the bot rows, so find_bot is the truth.
        installation_store_bot_only=True,
        state_store=SQLAlchemyOAuthStateStore(expiration_seconds=STATE_EXPIRATION_SECONDS, engine=engine),
        install_path=INSTALL_PATH,
        redirect_uri_path=REDIRECT_PATH,
    )


def oauth_routes(app: App) -> dict[str, Any]:
    """WSGI handlers for the two OAuth pages (GET, unsigned: Bolt's flow checks the state and its cookie)."""
    bolt = SlackRequestHandler(app)

    def handle(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        return bolt(environ, start_response)

    return {INSTALL_PATH: handle, REDIRECT_PATH: handle}


class InstalledSlackClients(SlackClients):
    """OAuth mode: every installed, not uninstalled workspace, each with its own bot token from the store."""

    def __init__(
        self, settings: Settings, sessions: sessionmaker[Session], store: SQLAlchemyInstallationStore | None = None
    ) -> None:
        super().__init__(settings, sessions)
        self._store = store or installation_store(settings, sessions)
        self._clients: dict[str, WebClient] = {}
        self._clients_lock = threading.Lock()

    def team_ids(self) -> list[str]:
        with self._sessions_or_fail().begin() as s:
            return installed_team_ids(s, self._settings.slack_client_id or "")

    def for_team(self, team_id: str) -> WebClient:
        self._refuse_uninstalled(team_id)
        bot = self._store.find_bot(enterprise_id=None, team_id=team_id)
        if bot is None or not bot.bot_token:
            raise SlackUnavailable(f"persona-bot is not installed in workspace {team_id}")
        with self._clients_lock:
            client = self._clients.get(bot.bot_token)
            if client is None:
                client = self._clients[bot.bot_token] = make_web_client(self._settings, token=bot.bot_token)
            return client
