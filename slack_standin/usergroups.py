"""usergroups.* — the groups added with `add_usergroup`, and their members."""

from __future__ import annotations

from typing import Any

from slack_standin.context import Context, Method, Refusal
from slack_standin.state import World

__all__ = ["METHODS"]


def list_groups(world: World, ctx: Context) -> dict[str, Any]:
    groups = world.usergroups.get(ctx.team.team_id, {})
    return {
        "usergroups": [
            {"id": gid, "team_id": ctx.team.team_id, "handle": handle, "name": handle, "user_count": len(members)}
            for gid, (handle, members) in groups.items()
        ]
    }


def list_members(world: World, ctx: Context) -> dict[str, Any]:
    group = world.usergroups.get(ctx.team.team_id, {}).get(ctx.text("usergroup") or "")
    if group is None:
        raise Refusal("no_such_subteam")
    return {"users": list(group[1])}


METHODS: dict[str, Method] = {
    "usergroups.list": list_groups,
    "usergroups.users.list": list_members,
}
