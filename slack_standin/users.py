"""users.* — one user, the workspace's members page by page, and a user found by email."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from slack_standin.context import Context, Method, Refusal, next_cursor
from slack_standin.state import User, World

__all__ = ["METHODS", "user_object"]


def user_object(user: User) -> dict[str, Any]:
    """The user object Slack answers with, its time zone's offset as of now."""
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


def info(world: World, ctx: Context) -> dict[str, Any]:
    user = world.user(ctx.team.team_id, ctx.text("user") or "")
    if user is None:
        raise Refusal("user_not_found")
    return {"user": user_object(user)}


def list_users(world: World, ctx: Context) -> dict[str, Any]:
    members = list(world.users.get(ctx.team.team_id, {}).values())
    start = 0
    after = ctx.cursor()
    if after is not None:
        ids = [m.user_id for m in members]
        if not after.startswith("user:") or after[5:] not in ids:
            raise Refusal("invalid_cursor")
        start = ids.index(after[5:])
    limit = ctx.limit(0)
    end = len(members) if limit <= 0 else min(len(members), start + limit)
    following = next_cursor(f"user:{members[end].user_id}") if end < len(members) else ""
    return {
        "members": [user_object(u) for u in members[start:end]],
        "cache_ts": int(time.time()),
        "response_metadata": {"next_cursor": following},
    }


def lookup_by_email(world: World, ctx: Context) -> dict[str, Any]:
    email = (ctx.text("email") or "").strip()
    if "@" not in email:
        raise Refusal("invalid_email")
    for user in world.users.get(ctx.team.team_id, {}).values():
        if user.email is not None and user.email.casefold() == email.casefold():
            return {"user": user_object(user)}
    raise Refusal("users_not_found")


METHODS: dict[str, Method] = {
    "users.info": info,
    "users.list": list_users,
    "users.lookupByEmail": lookup_by_email,
}
