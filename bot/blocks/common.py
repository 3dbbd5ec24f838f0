"""Small Block Kit pieces shared by every surface, each respecting Slack's limits."""

from __future__ import annotations

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

from bot.render import clean_plain, truncate
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
