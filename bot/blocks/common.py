"""Small Block Kit pieces shared by every surface, each respecting Slack's limits."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)
from slack_sdk.models.views import View

from bot.render import clean_plain, render_part, truncate
from bot.slack.limits import BUTTON_TEXT_MAX, CONTEXT_TEXT_MAX, HEADER_TEXT_MAX, MESSAGE_TEXT_MAX, SECTION_TEXT_MAX


def mrkdwn_section(text: str, block_id: str | None = None) -> SectionBlock:
    return SectionBlock(text=MarkdownTextObject(text=truncate(text, SECTION_TEXT_MAX)), block_id=block_id)


def header(text: str) -> HeaderBlock:
    return HeaderBlock(text=PlainTextObject(text=truncate(clean_plain(text) or "…", HEADER_TEXT_MAX)))


def context(text: str) -> ContextBlock:
    return ContextBlock(elements=[MarkdownTextObject(text=truncate(text, CONTEXT_TEXT_MAX))])


def divider() -> DividerBlock:
    return DividerBlock()


def button(text: str, action_id: str, value: str | None = None, style: str | None = None) -> ButtonElement:
    return ButtonElement(
        text=PlainTextObject(text=truncate(clean_plain(text), BUTTON_TEXT_MAX)),
        action_id=action_id,
        value=value,
        style=style,
    )


def actions(elements: list[ButtonElement], block_id: str | None = None) -> ActionsBlock:
    return ActionsBlock(elements=elements, block_id=block_id)


def modal(callback_id: str, part: str, blocks: Sequence[Block], *, submit: bool = True) -> dict[str, Any]:
    """A modal named by its prompt part's `title` and `close` (and, for a form, `submit`) macros."""
    return View(
        type="modal",
        callback_id=callback_id,
        title=PlainTextObject(text=render_part(part, "title")),
        submit=PlainTextObject(text=render_part(part, "submit")) if submit else None,
        close=PlainTextObject(text=render_part(part, "close")),
        blocks=blocks,
    ).to_dict()


def to_dicts(blocks: list[Block]) -> list[dict[str, Any]]:
    return [block.to_dict() for block in blocks]


def fallback_text(text: str) -> str:
    return truncate(text, MESSAGE_TEXT_MAX)


@dataclass(frozen=True)
class Message:
    """What a builder hands a listener to send: Block Kit blocks and the notification text, both from prompts/."""

    blocks: list[dict[str, Any]]
    text: str

    def fields(self) -> dict[str, Any]:
        """As chat.postMessage, respond() and ack() take it."""
        return {"blocks": self.blocks, "text": self.text}
