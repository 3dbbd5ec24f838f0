"""Six-monthly review DMs (digest and buttons), what a DM becomes once answered, and the admins' overdue list."""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import Block, ConfirmObject, MarkdownTextObject, PlainTextObject

from bot import ids
from bot.blocks.common import actions, button, context, divider, fallback_text, header, mrkdwn_section, to_dicts
from bot.blocks.revision_drafts import build_draft_blocks
from bot.render import render_part
from bot.services.reviews import ReviewAnswer, ReviewRequest
from bot.untrusted import parse_count, parse_id
from persona_store.reviews import OverdueReview

OVERDUE_PER_SECTION = 8
OVERDUE_LIMIT = 160  # 20 sections; the rest is counted in one line


def review_value(persona_id: int, cycle: int) -> str:
    return f"{persona_id}:{cycle}"


def parse_review_value(value: str) -> tuple[int, int] | None:
    """Button values can be replayed or forged: accept only a bounded persona id and cycle."""
    first, sep, second = value.partition(":")
    persona_id, cycle = parse_id(first), parse_count(second)
    if not sep or persona_id is None or cycle is None:
        return None
    return persona_id, cycle


def build_review_dm(request: ReviewRequest, after_days: int) -> list[dict[str, Any]]:
    digest = request.digest
    value = review_value(request.persona_id, request.cycle)
    retire = button("Retire", ids.ACTION_REVIEW_RETIRE, value, style="danger")
    retire.confirm = ConfirmObject(
        title=PlainTextObject(text=render_part("reviews", "retire_confirm_title")),
        text=MarkdownTextObject(text=render_part("reviews", "retire_confirm_text", request.name)),
        confirm=PlainTextObject(text="Retire"),
        deny=PlainTextObject(text="Keep it"),
    )
    blocks: list[Block] = [
        header(render_part("reviews", "header", request)),
        mrkdwn_section(render_part("reviews", "intro", request, after_days)),
        divider(),
        mrkdwn_section(render_part("reviews", "fit", digest)),
        mrkdwn_section(render_part("reviews", "mismatches", digest)),
        *build_draft_blocks(request.drafts),
        *(
            [mrkdwn_section(render_part("reviews", "themes", digest))]
            if any(t.people > 1 for t in digest.themes)  # lone themes would only repeat the comments below
            else []
        ),
        mrkdwn_section(render_part("reviews", "missing", digest)),
        *(
            [mrkdwn_section(render_part("outcomes", "digest_signals", request.signals, request.signals_period))]
            if request.signals
            else []
        ),
        context(render_part("reviews", "footer", digest)),
        actions(
            [
                button("Still accurate", ids.ACTION_REVIEW_ACCURATE, value, style="primary"),
                button("Edit", ids.ACTION_REVIEW_EDIT, value),
                retire,
            ],
            block_id=ids.BLOCK_REVIEW_ACTIONS,
        ),
    ]
    return to_dicts(blocks)


def review_fallback(request: ReviewRequest) -> str:
    return render_part("reviews", "fallback", request)


def build_review_done(answer: ReviewAnswer) -> list[dict[str, Any]]:
    """The answered DM, rebuilt from the server's own record (never from the blocks a client sent back): who
    answered, how and when; the buttons are gone."""
    macro = "done" if answer.status == "recorded" else "already"
    return to_dicts([mrkdwn_section(render_part("reviews", macro, answer))])


def review_done_fallback(answer: ReviewAnswer) -> str:
    return fallback_text(render_part("reviews", "done" if answer.status == "recorded" else "already", answer))


def build_overdue(items: list[OverdueReview], after_days: int) -> list[dict[str, Any]]:
    blocks: list[Block] = [mrkdwn_section(render_part("reviews", "overdue_header", items, after_days))]
    shown = items[:OVERDUE_LIMIT]
    for start in range(0, len(shown), OVERDUE_PER_SECTION):
        lines = [render_part("reviews", "overdue_line", item) for item in shown[start : start + OVERDUE_PER_SECTION]]
        blocks.append(mrkdwn_section("\n".join(lines)))
    if len(items) > OVERDUE_LIMIT:
        blocks.append(context(render_part("reviews", "overdue_more", len(items) - OVERDUE_LIMIT)))
    return to_dicts(blocks)


__all__ = [
    "build_overdue",
    "build_review_dm",
    "build_review_done",
    "parse_review_value",
    "review_done_fallback",
    "review_fallback",
]
