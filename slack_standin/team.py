"""team.info — the workspace the token belongs to."""

from __future__ import annotations

from typing import Any

from slack_standin.context import Context, Method
from slack_standin.state import World

__all__ = ["METHODS"]


def info(world: World, ctx: Context) -> dict[str, Any]:
    team = ctx.team
    return {"team": {"id": team.team_id, "name": team.team_name, "domain": team.domain, "email_domain": ""}}


METHODS: dict[str, Method] = {"team.info": info}
