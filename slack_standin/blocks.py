"""Block Kit as Slack stores it: the ids it makes up for unnamed blocks and elements, and where elements sit."""

from __future__ import annotations

import itertools
import json
from collections.abc import Mapping
from typing import Any

__all__ = ["elements_of", "with_ids"]

_AUTO_IDS = itertools.count(0x10000)  # five hex digits; next() on a count is atomic under the GIL


def elements_of(block: Mapping[str, Any]) -> list[Any]:
    """The elements a person can act on in `block`: an actions block's elements, an input's element, a section's
    accessory (unchecked: callers keep the ones of the shape they want)."""
    kind = block.get("type")
    if kind == "actions":
        return list(block.get("elements") or [])
    if kind == "input":
        return [block.get("element")]
    if kind == "section":
        return [block.get("accessory")]
    return []


def with_ids(blocks: list[Any]) -> list[Any]:
    """A copy of `blocks` with the block_ids and action_ids Slack generates when an app leaves them out."""
    copied: list[Any] = json.loads(json.dumps(blocks))  # a JSON round trip copies faster than deepcopy
    for block in copied:
        if not isinstance(block, dict):
            continue
        if "block_id" not in block:
            block["block_id"] = _auto_id()
        for element in elements_of(block):
            if isinstance(element, dict) and element.get("type") not in (None, "image"):
                element.setdefault("action_id", _auto_id())
    return copied


def _auto_id() -> str:
    """A short id like the ones Slack makes up for blocks and elements an app left unnamed."""
    return f"{next(_AUTO_IDS):X}"
