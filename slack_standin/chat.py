"""chat.* — messages posted, ephemeral, updated, deleted and linked — and the posts apps make to a response_url."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from bot.blocks.limits import find_block_problems
from slack_standin.blocks import with_ids
from slack_standin.context import Context, Method, Refusal, Settings
from slack_standin.replies import Reply, text_reply
from slack_standin.state import ResponsePost, ResponseUrl, Workspace, World, dm_channel_id

__all__ = ["CHANNEL_ID", "METHODS", "USER_ID", "post_to_response_url"]

MESSAGE_TEXT_MAX = 40_000  # chat.postMessage answers msg_too_long above it
CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]+$")
USER_ID = re.compile(r"^[UW][A-Z0-9]+$")


def _message(
    world: World,
    team: Workspace | None,
    team_id: str | None,
    channel: str,
    text: Any,
    blocks: list[Any] | None,
    extra: Mapping[str, Any],
) -> dict[str, Any]:
    """A message from the app's bot user, as Slack stores it (`extra`: fields copied when set)."""
    message: dict[str, Any] = {
        "type": "message",
        "subtype": "bot_message",
        "text": text,
        "user": team.bot_user_id if team else None,
        "bot_id": team.bot_id if team else None,
        "team": team_id,
        "channel": channel,
        "ts": world.new_ts(),
    }
    if blocks:
        message["blocks"] = with_ids(blocks)
    message.update({key: value for key, value in extra.items() if value})
    return message


def _resolve_channel(world: World, ctx: Context, channel: str | None) -> str:
    if not channel:
        raise Refusal("channel_not_found")
    if USER_ID.match(channel):
        user = world.user(ctx.team.team_id, channel)
        if user is None:
            raise Refusal("channel_not_found")
        if user.deleted and ctx.settings.deleted_user_dm_error:
            raise Refusal(ctx.settings.deleted_user_dm_error)
        channel = dm_channel_id(channel)
    elif not CHANNEL_ID.match(channel):
        raise Refusal("channel_not_found")
    error = world.channel_errors.get(channel)
    if error:
        raise Refusal(error)
    return channel


def _content(ctx: Context) -> tuple[str | None, list[Any] | None]:
    text = ctx.params.get("text")
    blocks = ctx.params.get("blocks")
    if blocks is not None and not isinstance(blocks, list):
        raise Refusal("invalid_blocks_format")
    if ctx.problems:
        raise Refusal("invalid_blocks", [p.slack_message() for p in ctx.problems])
    if not text and not blocks and not ctx.params.get("attachments"):
        raise Refusal("no_text")
    if text is not None and len(str(text)) > MESSAGE_TEXT_MAX:
        raise Refusal("msg_too_long")
    return (None if text is None else str(text)), (blocks or None)


def _bot_message(world: World, ctx: Context, channel: str) -> dict[str, Any]:
    text, blocks = _content(ctx)
    team = ctx.team
    extra = {"app_id": team.app_id, **{key: ctx.params.get(key) for key in ("thread_ts", "attachments", "metadata")}}
    return _message(world, team, team.team_id, channel, text or "", blocks, extra)


def _without_channel(message: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in message.items() if k != "channel"}


def _find_message(world: World, ctx: Context, ts_param: str) -> tuple[tuple[str, str], dict[str, Any]]:
    channel = ctx.text("channel")
    if not channel:
        raise Refusal("channel_not_found")
    if USER_ID.match(channel):
        channel = dm_channel_id(channel)
    key = (channel, ctx.text(ts_param) or "")
    message = world.messages.get(key)
    if message is None:
        raise Refusal("message_not_found")
    return key, message


def post_message(world: World, ctx: Context) -> dict[str, Any]:
    channel = _resolve_channel(world, ctx, ctx.text("channel"))
    message = _bot_message(world, ctx, channel)
    world.messages[(channel, message["ts"])] = message
    return {"channel": channel, "ts": message["ts"], "message": _without_channel(message)}


def post_ephemeral(world: World, ctx: Context) -> dict[str, Any]:
    channel = _resolve_channel(world, ctx, ctx.text("channel"))
    user = world.user(ctx.team.team_id, ctx.text("user") or "")
    if user is None or user.deleted:
        raise Refusal("user_not_in_channel")
    message = _bot_message(world, ctx, channel)
    message["user"] = user.user_id
    world.ephemerals.append(message)
    return {"message_ts": message["ts"]}


def update(world: World, ctx: Context) -> dict[str, Any]:
    key, message = _find_message(world, ctx, "ts")
    text, blocks = _content(ctx)
    if text is not None:
        message["text"] = text
    if "blocks" in ctx.params:  # Slack keeps the old blocks when an update leaves them out
        if blocks:
            message["blocks"] = with_ids(blocks)
        else:
            message.pop("blocks", None)
    message["edited"] = {"user": ctx.team.bot_user_id, "ts": world.new_ts()}
    return {"channel": key[0], "ts": key[1], "text": message["text"], "message": _without_channel(message)}


def delete(world: World, ctx: Context) -> dict[str, Any]:
    key, _ = _find_message(world, ctx, "ts")
    del world.messages[key]
    return {"channel": key[0], "ts": key[1]}


def get_permalink(world: World, ctx: Context) -> dict[str, Any]:
    key, _ = _find_message(world, ctx, "message_ts")
    permalink = f"https://{ctx.team.domain}.slack.com/archives/{key[0]}/p{key[1].replace('.', '')}"
    return {"channel": key[0], "permalink": permalink}


METHODS: dict[str, Method] = {
    "chat.postMessage": post_message,
    "chat.postEphemeral": post_ephemeral,
    "chat.update": update,
    "chat.delete": delete,
    "chat.getPermalink": get_permalink,
}


# -- response_url ------------------------------------------------------------------------------------------


def post_to_response_url(world: World, settings: Settings, url_id: str, body: bytes, at: float) -> Reply:
    """`POST /response/<id>`: refused when unknown, expired, used up or malformed; refusals do not use it up."""
    try:
        payload = json.loads(body) if body else {}
    except ValueError:
        payload = None
    problems = None
    if isinstance(payload, dict) and isinstance(payload.get("blocks"), list) and payload["blocks"]:
        problems = find_block_problems(payload["blocks"], "message")
    with world.lock:
        entry = world.response_urls.get(url_id)
        status, error = 200, None
        if entry is None:
            status, error = 404, "no_service"
        elif at - entry.created > settings.response_url_ttl:
            status, error = 404, "expired_url"
        elif entry.uses >= settings.response_url_max_uses:
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
            _apply_response(world, entry, payload)
        recorded = payload if isinstance(payload, dict) else {"_raw": body.decode("utf-8", "replace")}
        world.response_posts.append(ResponsePost(url_id, recorded, at, status, error))
    return text_reply(status, error or "ok")


def _apply_response(world: World, entry: ResponseUrl, payload: dict[str, Any]) -> None:
    """What a response_url post shows: the original replaced or deleted, or a new (ephemeral) message."""
    key = (entry.channel_id or "", entry.message_ts or "")
    original = world.messages.get(key)
    if payload.get("delete_original"):
        world.messages.pop(key, None)
    elif payload.get("replace_original"):
        if original is not None:
            original["text"] = payload.get("text", "")
            if "blocks" in payload:
                original["blocks"] = with_ids(payload["blocks"])
    elif entry.channel_id:
        team = world.workspaces.get(entry.team_id or "")
        blocks = payload.get("blocks")
        extra = {"thread_ts": payload.get("thread_ts")}
        message = _message(world, team, entry.team_id, entry.channel_id, payload.get("text", ""), blocks, extra)
        if payload.get("response_type") == "in_channel":
            world.messages[(entry.channel_id, message["ts"])] = message
        else:  # ephemeral is the default for response_url posts
            message["user"] = entry.user_id
            world.ephemerals.append(message)
