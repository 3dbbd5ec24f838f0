"""conversations.* — DMs opened, a channel's history page by page, and its members."""

from __future__ import annotations

import copy
import hashlib
import time
from typing import Any

from slack_standin.chat import CHANNEL_ID, USER_ID
from slack_standin.context import Context, Method, Refusal, next_cursor
from slack_standin.state import World, dm_channel_id

__all__ = ["METHODS"]


def open_conversation(world: World, ctx: Context) -> dict[str, Any]:
    if ctx.text("channel"):
        return {"channel": {"id": ctx.text("channel")}, "no_op": True, "already_open": True}
    user_ids = [u.strip() for u in (ctx.text("users") or "").split(",") if u.strip()]
    if not user_ids:
        raise Refusal("not_enough_users")
    for user_id in user_ids:
        user = world.user(ctx.team.team_id, user_id)
        if user is None:
            raise Refusal("user_not_found")
        if user.deleted:
            raise Refusal("user_disabled")
    if len(user_ids) == 1:
        channel_id = dm_channel_id(user_ids[0])
    else:
        channel_id = "G" + hashlib.sha1(",".join(sorted(user_ids)).encode()).hexdigest()[:10].upper()
    key = (ctx.team.team_id, channel_id)
    already = key in world.open_dms
    world.open_dms.add(key)
    answer: dict[str, Any] = {"channel": {"id": channel_id}}
    if already:
        answer.update(no_op=True, already_open=True)
    return answer


def history(world: World, ctx: Context) -> dict[str, Any]:
    team_id = ctx.team.team_id
    channel = ctx.text("channel") or ""
    if USER_ID.match(channel):  # Slack wants the conversation id here, not a user id
        raise Refusal("channel_not_found")
    known = (
        (team_id, channel) in world.open_dms
        or any(dm_channel_id(user_id) == channel for user_id in world.users.get(team_id, {}))
        or any(m["channel"] == channel and m.get("team") == team_id for m in world.messages.values())
    )
    if not CHANNEL_ID.match(channel) or not known:
        raise Refusal("channel_not_found")
    inclusive = ctx.flag("inclusive")
    oldest = ctx.ts("oldest", "0")
    latest = ctx.ts("latest", f"{time.time() + 1:.6f}")
    limit = min(max(ctx.limit(100), 1), 999)
    found = sorted(
        (
            m
            for (ch, _), m in world.messages.items()
            if ch == channel
            and m.get("team") == team_id
            and (oldest <= float(m["ts"]) if inclusive else oldest < float(m["ts"]))
            and (float(m["ts"]) <= latest if inclusive else float(m["ts"]) < latest)
        ),
        key=lambda m: float(m["ts"]),
        reverse=True,
    )
    start = 0
    before = ctx.cursor()
    if before is not None:
        stamps = [m["ts"] for m in found]
        if not before.startswith("ts:") or before[3:] not in stamps:
            raise Refusal("invalid_cursor")
        start = stamps.index(before[3:])
    page = found[start : start + limit]
    more = start + limit < len(found)
    with_metadata = ctx.flag("include_all_metadata")
    messages = [
        {k: copy.deepcopy(v) for k, v in m.items() if k != "channel" and (with_metadata or k != "metadata")}
        for m in page
    ]
    return {
        "messages": messages,
        "has_more": more,
        "pin_count": 0,
        "response_metadata": {"next_cursor": next_cursor(f"ts:{found[start + limit]['ts']}") if more else ""},
    }


def members(world: World, ctx: Context) -> dict[str, Any]:
    found = world.channels.get(ctx.team.team_id, {}).get(ctx.text("channel") or "")
    if found is None:
        raise Refusal("channel_not_found")
    start = 0
    position = ctx.cursor()
    if position is not None:
        try:
            start = int(position.removeprefix("member:"))
        except ValueError:
            raise Refusal("invalid_cursor") from None
        if not 0 <= start < len(found):
            raise Refusal("invalid_cursor")
    end = min(len(found), start + max(ctx.limit(100), 1))
    following = next_cursor(f"member:{end}") if end < len(found) else ""
    return {"members": found[start:end], "response_metadata": {"next_cursor": following}}


METHODS: dict[str, Method] = {
    "conversations.open": open_conversation,
    "conversations.history": history,
    "conversations.members": members,
}
