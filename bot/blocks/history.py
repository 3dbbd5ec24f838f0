"""`/persona history <persona>`: revisions newest first, packed into sections within Slack's message limits."""

from __future__ import annotations

import dataclasses
from typing import Any

from slack_sdk.models.blocks import Block

from bot.blocks.common import context, divider, mrkdwn_section, to_dicts
from bot.render import render_part, truncate
from bot.services.personas_admin import HistoryAnswer, HistoryEntry
from bot.slack.limits import MAX_BLOCKS, SECTION_TEXT_MAX

MAX_ENTRIES = 20  # revisions shown at once; the rest is summarised in one line


def _entry_texts(entry: HistoryEntry) -> list[str]:
    """One revision as section texts, each within the section limit (a big revision spans several)."""
    if entry.number == 1:
        head, changes = render_part("history", "entry", entry), []
    else:
        head = render_part("history", "entry", dataclasses.replace(entry, changes=()))
        changes = [render_part("history", "change", c) for c in entry.changes]
    texts: list[str] = []
    current = head
    for piece in changes:
        if len(current) + 1 + len(piece) <= SECTION_TEXT_MAX:
            current = f"{current}\n{piece}"
        else:
            texts.append(current)
            current = piece
    texts.append(current)
    return [truncate(t, SECTION_TEXT_MAX) for t in texts]


def build_history(answer: HistoryAnswer) -> list[dict[str, Any]]:
    """The history message for a found persona (answer.persona must be set)."""
    persona = answer.persona
    assert persona is not None  # the listener answers the other outcomes itself
    if not answer.entries:
        return to_dicts([mrkdwn_section(render_part("history", "none_yet", persona))])
    shown = answer.entries[:MAX_ENTRIES]
    blocks: list[Block] = []
    # Keep room for the header and the "older revisions" line.
    budget = MAX_BLOCKS["message"] - 2
    used = count = 0
    for entry in shown:
        texts = _entry_texts(entry)
        need = len(texts) + (1 if blocks else 0)
        if used + need > budget:
            break
        if blocks:
            blocks.append(divider())
        blocks.extend(mrkdwn_section(t) for t in texts)
        used += need
        count += 1
    out: list[Block] = [mrkdwn_section(render_part("history", "header", persona, len(answer.entries), count))]
    out.extend(blocks)
    if count < len(answer.entries):
        out.append(context(render_part("history", "older", len(answer.entries) - count)))
    return to_dicts(out)


def history_fallback(answer: HistoryAnswer) -> str:
    return render_part("history", "fallback", answer.persona) if answer.persona else "History"


__all__ = ["build_history", "history_fallback"]
