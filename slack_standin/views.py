"""views.* — modals opened, pushed and updated with single-use triggers, and Home tabs published."""

from __future__ import annotations

import secrets
import time
from typing import Any

from bot.blocks.limits import VIEW_MAX_BYTES, view_size
from slack_standin.blocks import with_ids
from slack_standin.chat import USER_ID
from slack_standin.context import Context, Method, Refusal
from slack_standin.state import Trigger, World

__all__ = ["METHODS"]

VIEW_STACK_MAX = 3  # a root modal plus two pushes


def _exchange_trigger(world: World, ctx: Context) -> Trigger:
    trigger_id = ctx.text("trigger_id") or ctx.text("interactivity_pointer")
    trigger = world.triggers.get(trigger_id or "")
    if trigger is None:
        raise Refusal("invalid_trigger_id")
    if trigger.used:
        raise Refusal("exchanged_trigger_id")
    if world.clock() - trigger.created > ctx.settings.trigger_ttl:
        raise Refusal("expired_trigger_id")
    return trigger


def _view_param(world: World, ctx: Context, kind: str) -> dict[str, Any]:
    view = ctx.params.get("view")
    if not isinstance(view, dict):
        raise Refusal("invalid_arguments", ["[ERROR] missing or malformed view [json-pointer:/view]"])
    if view_size(view) > VIEW_MAX_BYTES:
        raise Refusal("view_too_large")
    if ctx.problems:
        raise Refusal("invalid_arguments", [p.slack_message("/view") for p in ctx.problems])
    if view.get("type") != kind:
        raise Refusal("invalid_arguments", [f"[ERROR] must be {kind} [json-pointer:/view/type]"])
    external_id = view.get("external_id")
    if external_id:
        for view_id, stored in world.views.items():
            if stored.get("external_id") == external_id and view_id != ctx.extra.get("replacing"):
                raise Refusal("duplicate_external_id")
    return view


def _store_view(
    world: World, ctx: Context, view: dict[str, Any], view_id: str, root_id: str, previous_id: str | None
) -> dict[str, Any]:
    team = ctx.team
    stored: dict[str, Any] = {
        "id": view_id,
        "team_id": team.team_id,
        "type": view["type"],
        "blocks": with_ids(view.get("blocks") or []),
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
    world.views[view_id] = stored
    return stored


def _stack_modal(world: World, ctx: Context, *, push: bool) -> dict[str, Any]:
    """views.open (a new stack) or views.push (onto the person's stack): each takes one fresh trigger."""
    trigger = _exchange_trigger(world, ctx)
    view = _view_param(world, ctx, "modal")
    stack_key = (ctx.team.team_id, trigger.user_id)
    stack = world.stacks.setdefault(stack_key, []) if push else []
    if len(stack) >= VIEW_STACK_MAX:
        raise Refusal("push_limit_reached")
    trigger.used = True
    view_id = world.new_id("V")
    stored = _store_view(world, ctx, view, view_id, stack[0] if stack else view_id, stack[-1] if stack else None)
    stack.append(view_id)
    world.stacks[stack_key] = stack
    world.view_users[view_id] = stack_key
    world.last_view_by_user[trigger.user_id] = view_id
    world.last_view_by_user[None] = view_id
    return {"view": stored}


def open_view(world: World, ctx: Context) -> dict[str, Any]:
    return _stack_modal(world, ctx, push=False)


def push(world: World, ctx: Context) -> dict[str, Any]:
    return _stack_modal(world, ctx, push=True)


def update(world: World, ctx: Context) -> dict[str, Any]:
    view_id, external_id = ctx.text("view_id"), ctx.text("external_id")
    if not view_id and not external_id:
        raise Refusal("invalid_arguments", ["[ERROR] view_id or external_id is required"])
    current = world.views.get(view_id or "")
    if current is None and external_id:
        current = next((v for v in world.views.values() if v.get("external_id") == external_id), None)
    if current is None:
        raise Refusal("not_found")
    wanted_hash = ctx.text("hash")
    if wanted_hash and wanted_hash != current["hash"]:
        raise Refusal("hash_conflict")
    ctx.extra["replacing"] = current["id"]
    view = _view_param(world, ctx, current["type"])
    stored = _store_view(world, ctx, view, current["id"], current["root_view_id"], current["previous_view_id"])
    return {"view": stored}


def publish(world: World, ctx: Context) -> dict[str, Any]:
    user_id = ctx.required("user_id")
    if not USER_ID.match(user_id):
        raise Refusal("invalid_arguments", ["[ERROR] user_id must be a user id [json-pointer:/user_id]"])
    key = (ctx.team.team_id, user_id)
    current = world.homes.get(key)
    wanted_hash = ctx.text("hash")
    if wanted_hash and current is not None and wanted_hash != current["hash"]:
        raise Refusal("hash_conflict")
    if current is not None:
        ctx.extra["replacing"] = current["id"]
    view = _view_param(world, ctx, "home")
    view_id = current["id"] if current is not None else world.new_id("V")
    stored = _store_view(world, ctx, view, view_id, view_id, None)
    world.homes[key] = stored
    return {"view": stored}


METHODS: dict[str, Method] = {
    "views.open": open_view,
    "views.push": push,
    "views.update": update,
    "views.publish": publish,
}
