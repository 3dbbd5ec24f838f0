"""Tokens and who they are: api.test, auth.test, oauth.v2.access, apps.connections.open, and the scopes header."""

from __future__ import annotations

import secrets
from typing import Any

from bot.slack.oauth import BOT_SCOPES
from slack_standin.context import Context, Method, Refusal
from slack_standin.state import DEFAULT_APP_ID, Workspace, World

__all__ = ["METHODS", "refusal_for", "scope_header"]

_NO_AUTH_METHODS = {"oauth.v2.access", "api.test"}
_APP_TOKEN_METHODS = {"apps.connections.open"}


def refusal_for(world: World, method: str, token: str | None, workspace: Workspace | None) -> str | None:
    """The error Slack answers before it looks at the call (no token, a revoked one, the wrong kind), or None."""
    if method in _NO_AUTH_METHODS:
        return None
    if not token:
        return "not_authed"
    if token in world.revoked:
        return world.revoked_errors.get(token, "token_revoked")
    if method in _APP_TOKEN_METHODS:
        if token in world.app_tokens:
            return None
        return "not_allowed_token_type" if token in world.tokens else "invalid_auth"
    return "invalid_auth" if workspace is None else None


def scope_header(world: World, token: str | None) -> tuple[tuple[str, str], ...]:
    """Slack names the scopes granted to a live token on every answer; a revoked or unknown token gets none."""
    if not token or token in world.revoked:
        return ()
    if token in world.app_tokens:
        return (("x-oauth-scopes", "connections:write"),)
    if token not in world.tokens:
        return ()
    scopes = world.granted_scopes.get(token)
    if scopes is None:
        scopes = BOT_SCOPES  # the manifest's bot scopes (a test keeps them equal)
    return (("x-oauth-scopes", ",".join(scopes)),)


def api_test(world: World, ctx: Context) -> dict[str, Any]:
    if ctx.params.get("error"):
        raise Refusal(str(ctx.params["error"]))
    return {"args": {k: v for k, v in ctx.params.items() if isinstance(v, str)}}


def auth_test(world: World, ctx: Context) -> dict[str, Any]:
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


def connections_open(world: World, ctx: Context) -> dict[str, Any]:
    # Nothing listens at this URL: a Socket Mode client that gets this far fails to connect and retries.
    where = f"{ctx.settings.host}:{ctx.settings.port}"
    return {"url": f"wss://{where}/link/?ticket={secrets.token_hex(8)}&app_id={DEFAULT_APP_ID}"}


def oauth_v2_access(world: World, ctx: Context) -> dict[str, Any]:
    client_id, client_secret = ctx.basic_auth or (ctx.text("client_id"), ctx.text("client_secret"))
    if client_id != ctx.settings.client_id:
        raise Refusal("invalid_client_id")
    if client_secret != ctx.settings.client_secret:
        raise Refusal("bad_client_secret")
    code = ctx.text("code") or ""
    grant = world.oauth_codes.get(code)
    if grant is None:
        raise Refusal("invalid_code")
    if grant.redirect_uri is not None and ctx.text("redirect_uri") != grant.redirect_uri:
        raise Refusal("bad_redirect_uri")
    del world.oauth_codes[code]  # a code is exchanged once
    workspace = Workspace.named(
        grant.team_id, grant.bot_token, grant.bot_user_id, team_name=grant.team_name, app_id=grant.app_id
    )
    world.add_workspace(workspace)
    world.granted_scopes[grant.bot_token] = tuple(s.strip() for s in grant.scope.split(",") if s.strip())
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


METHODS: dict[str, Method] = {
    "api.test": api_test,
    "auth.test": auth_test,
    "oauth.v2.access": oauth_v2_access,
    "apps.connections.open": connections_open,
}
