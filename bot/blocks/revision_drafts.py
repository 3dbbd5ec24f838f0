"""Revision drafts as Block Kit: the proposal, its quotes and Accept / Dismiss (review DMs and the owner's Home)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from slack_sdk.models.blocks import Block

from bot import ids
from bot.blocks.common import actions, button, mrkdwn_section
from bot.render import render_part
from bot.untrusted import parse_id
from persona_store.evidence import DISPUTED_MIN_VIEWS, VALIDATED_MIN_AGREEMENT
from persona_store.revision_drafts import RevisionDraft

TEMPLATE = "reviews"


def draft_value(draft: RevisionDraft) -> str:
    return f"{draft.persona_id}:{draft.key}"


def parse_draft_value(value: str) -> tuple[int, str] | None:
    """Button values can be replayed or forged: a bounded persona id and a statement key's shape, nothing more."""
    first, sep, key = value.partition(":")
    persona_id = parse_id(first)
    if not sep or persona_id is None or not re.fullmatch(r"[0-9a-f]{32}", key):
        return None
    return persona_id, key


def build_draft_blocks(drafts: Sequence[RevisionDraft], *, with_heading: bool = True) -> list[Block]:
    """Two blocks per draft (the proposal with its quotes, then Accept and Dismiss), after an optional heading."""
    if not drafts:
        return []
    blocks: list[Block] = (
        [
            mrkdwn_section(
                render_part(TEMPLATE, "drafts_heading", len(drafts), VALIDATED_MIN_AGREEMENT, DISPUTED_MIN_VIEWS)
            )
        ]
        if with_heading
        else []
    )
    for n, draft in enumerate(drafts):
        value = draft_value(draft)
        blocks.append(mrkdwn_section(render_part(TEMPLATE, "draft", draft)))
        blocks.append(
            actions(
                [
                    button(render_part(TEMPLATE, "draft_accept"), ids.ACTION_DRAFT_ACCEPT, value, style="primary"),
                    button(render_part(TEMPLATE, "draft_dismiss"), ids.ACTION_DRAFT_DISMISS, value),
                ],
                block_id=f"{ids.BLOCK_DRAFT_ACTIONS}.{n}",
            )
        )
    return blocks


__all__ = ["build_draft_blocks", "draft_value", "parse_draft_value"]
