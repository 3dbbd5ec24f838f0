"""Run every setup check: ask Slack about each token, then let `DoctorService` judge (CLI and `/persona doctor`)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.config import Settings
from bot.services.doctor import Check, DoctorReport, DoctorService, TokenAnswer
from bot.slack.clients import SlackUnavailable, make_web_client
from bot.slack.oauth import InstalledSlackClients
from persona_store.installations import installed_team_ids
from persona_store.workspaces import list_workspaces

log = logging.getLogger("persona_bot.doctor")


def _header(headers: Mapping[str, Any], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name:
            return str(value[0] if isinstance(value, list) else value)
    return None


def unreachable_reason(error: BaseException) -> str:
    """A short reason Slack could not be reached (the URL error's own words, without a traceback)."""
    reason = getattr(error, "reason", None) or error
    return " ".join(str(reason).split())[:160] or type(error).__name__


def probe_bot_token(client: WebClient) -> TokenAnswer:
    """auth.test with the client's token, and the scopes Slack names in its x-oauth-scopes header."""
    url = client.base_url
    if not client.token:
        return TokenAnswer("bot", error="missing", url=url)
    try:
        answer = client.auth_test()
    except SlackApiError as error:
        status = error.response.status_code
        if status >= 500:
            return TokenAnswer("bot", unreachable=f"HTTP {status}", url=url)
        return TokenAnswer("bot", error=str(error.response.get("error") or f"HTTP {status}"), url=url)
    except (SlackClientError, OSError) as error:  # URLError, timeouts, refused connections
        return TokenAnswer("bot", unreachable=unreachable_reason(error), url=url)
    header = _header(answer.headers, "x-oauth-scopes")
    scopes = frozenset(s.strip() for s in header.split(",") if s.strip()) if header is not None else None
    return TokenAnswer(
        "bot",
        team_id=str(answer.get("team_id") or "") or None,
        team=str(answer.get("team") or "") or None,
        user=str(answer.get("user") or "") or None,
        scopes=scopes,
        url=url,
    )


def probe_app_token(settings: Settings) -> TokenAnswer:
    """apps.connections.open with SLACK_APP_TOKEN: the one call an app-level token exists for."""
    url = settings.slack_api_url
    if not settings.slack_app_token:
        return TokenAnswer("app", error="missing", url=url)
    client = make_web_client(settings.with_overrides(slack_bot_token=None))
    try:
        client.apps_connections_open(app_token=settings.slack_app_token)
    except SlackApiError as error:
        status = error.response.status_code
        if status >= 500:
            return TokenAnswer("app", unreachable=f"HTTP {status}", url=url)
        return TokenAnswer("app", error=str(error.response.get("error") or f"HTTP {status}"), url=url)
    except (SlackClientError, OSError) as error:
        return TokenAnswer("app", unreachable=unreachable_reason(error), url=url)
    return TokenAnswer("app", url=url)


def run_doctor(
    settings: Settings,
    doctor: DoctorService,
    engine: Callable[[], Engine],
    *,
    team_id: str | None = None,
    client: WebClient | None = None,
) -> DoctorReport:
    """Every check. From Slack (`team_id` and its `client`), only that workspace; from the CLI, all of them."""
    checks: list[Check] = list(doctor.configuration())
    database = doctor.database(engine)
    checks.extend(database.checks)
    sessions = database.sessions

    teams: list[str] = []
    if client is not None and team_id is not None:
        answer = probe_bot_token(client)
        checks.extend(doctor.token(answer))
        teams = [team_id]
    elif settings.oauth_enabled:
        if sessions is None:
            checks.append(doctor.skipped("installed workspaces need the database"))
        else:
            teams = _installed(settings, sessions)
            if not teams:
                checks.append(doctor.no_installs())
            for team in teams:
                checks.extend(doctor.token(_probe_installed(settings, sessions, team)))
    else:
        answer = probe_bot_token(make_web_client(settings))
        checks.extend(doctor.token(answer))
        if answer.works and answer.team_id:
            teams = [answer.team_id]
        elif settings.slack_team_id:
            teams = [settings.slack_team_id]
        elif sessions is not None:
            with sessions.begin() as s:
                teams = [w.team_id for w in list_workspaces(s)]
    checks.extend(doctor.token(probe_app_token(settings)))

    if sessions is None:
        checks.append(doctor.skipped("they need a reachable, migrated database"))
        return DoctorReport(tuple(checks))
    for team in teams:
        checks.extend(doctor.workspace(sessions, team))
    checks.append(doctor.clock(sessions))
    return DoctorReport(tuple(checks))


def _installed(settings: Settings, sessions: sessionmaker[Session]) -> list[str]:
    with sessions.begin() as s:
        return installed_team_ids(s, settings.slack_client_id or "")


def _probe_installed(settings: Settings, sessions: sessionmaker[Session], team_id: str) -> TokenAnswer:
    try:
        client = InstalledSlackClients(settings, sessions).for_team(team_id)
    except SlackUnavailable:
        return TokenAnswer("bot", team_id=team_id, error="token_revoked", url=settings.slack_api_url)
    answer = probe_bot_token(client)
    if answer.team_id is None:
        return TokenAnswer(
            answer.kind, team_id=team_id, error=answer.error, unreachable=answer.unreachable, url=answer.url
        )
    return answer
