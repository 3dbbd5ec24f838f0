"""Persona cards, lists and pick lists for `/persona` lookups."""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from slack_sdk.models.blocks import Block

from bot import ids
from bot.blocks.common import actions, button, context, fallback_text, header, mrkdwn_section, to_dicts
from bot.blocks.results import build_trust_line, disputed_texts
from bot.render import render_part
from bot.services.lookup import LookupAnswer, PersonaCard

# A message holds 50 blocks; a list shows this many personas before pointing to search.
LIST_LIMIT = 40
PICK_LIMIT = 5
CARD_SECTIONS = (
    ("Goals", "goals"),
    ("Pain points", "pain_points"),
    ("Motivations", "motivations"),
    ("Objections", "objections"),
    ("Channels", "channels"),
    ("Evidence", "evidence"),
)
STATEMENT_KINDS = {"goals": "goal", "pain_points": "pain_point", "objections": "objection"}  # checked statements


def build_card(card: PersonaCard, *, shared_by: str | None = None, with_actions: bool = True) -> list[dict[str, Any]]:
    """The persona card. Shared copies carry who shared them and no buttons.

    `card.outcome`, when there is one: the one outcome line a card may show, when the workspace's settings allow.
    """
    # Cards are looked up far more often than personas change: render each version once, hand out fresh copies.
    return json.loads(_card_json(card, shared_by, with_actions))


@lru_cache(maxsize=256)
def _card_json(card: PersonaCard, shared_by: str | None, with_actions: bool) -> str:
    blocks: list[Block] = [
        header(render_part("persona_card", "header", card)),
        mrkdwn_section(render_part("persona_card", "summary", card)),
    ]
    for label, field in CARD_SECTIONS:
        items = getattr(card, field)
        if items:
            marked = disputed_texts(card.figures, STATEMENT_KINDS.get(field))
            blocks.append(mrkdwn_section(render_part("persona_card", "section", label, items, marked)))
    if card.figures is not None:
        blocks.append(context(render_part("persona_card", "figures", card.figures)))
        blocks.append(build_trust_line(card.figures))
    blocks.append(context(render_part("persona_card", "footer", card)))
    if shared_by:
        blocks.append(context(render_part("persona_card", "shared_by", shared_by)))
    if card.outcome is not None:
        deals = card.outcome.deals
        blocks.append(context(render_part("outcomes", "card_line", card.outcome.period, deals.win_rate, deals.closed)))
    if with_actions:
        blocks.append(
            actions(
                [
                    button("Share in channel", ids.ACTION_SHARE_CARD, str(card.id)),
                    button("Give feedback", ids.ACTION_GIVE_FEEDBACK, str(card.id), style="primary"),
                ],
                block_id=ids.BLOCK_CARD_ACTIONS,
            )
        )
    return json.dumps(to_dicts(blocks))


@lru_cache(maxsize=256)
def card_fallback(card: PersonaCard) -> str:
    return render_part("persona_card", "fallback", card)


def build_help(command: str = ids.COMMAND) -> list[dict[str, Any]]:
    return to_dicts([mrkdwn_section(render_part("lookup", "help", command))])


def build_list(cards: list[PersonaCard]) -> list[dict[str, Any]]:
    blocks: list[Block] = [mrkdwn_section(render_part("lookup", "list_header", len(cards)))]
    shown = cards[:LIST_LIMIT]
    # Several personas per section keeps long lists well under the 50-block limit.
    for start in range(0, len(shown), 10):
        lines = "\n".join(render_part("lookup", "list_line", card) for card in shown[start : start + 10])
        blocks.append(mrkdwn_section(lines))
    if len(cards) > LIST_LIMIT:
        blocks.append(context(render_part("lookup", "list_more", len(cards) - LIST_LIMIT)))
    return to_dicts(blocks)


def build_pick_list(answer: LookupAnswer) -> list[dict[str, Any]]:
    choices = answer.candidates[:PICK_LIMIT]
    return to_dicts(
        [
            mrkdwn_section(render_part("lookup", "pick", answer.query)),
            actions(
                [button(card.name, ids.ACTION_PICK_PERSONA, str(card.id)) for card in choices],
                block_id=ids.BLOCK_PICK_LIST,
            ),
        ]
    )


def build_no_match(answer: LookupAnswer) -> list[dict[str, Any]]:
    blocks: list[Block] = [mrkdwn_section(render_part("lookup", "no_match", answer.query, answer.suggestions))]
    if answer.suggestions:
        blocks.append(
            actions(
                [button(card.name, ids.ACTION_PICK_PERSONA, str(card.id)) for card in answer.suggestions[:PICK_LIMIT]],
                block_id=ids.BLOCK_PICK_LIST,
            )
        )
    return to_dicts(blocks)


def build_text(template: str, macro: str, *args: Any) -> list[dict[str, Any]]:
    """A one-section message from a template macro."""
    return to_dicts([mrkdwn_section(render_part(template, macro, *args))])


def build_message(template: str, macro: str, *args: Any) -> dict[str, Any]:
    """`blocks` and the top-level `text` from one rendering of a macro: the text people are notified with goes
    through the same mrkdwn escaping as the blocks (never a raw string echoed back)."""
    text = render_part(template, macro, *args)
    return {"blocks": to_dicts([mrkdwn_section(text)]), "text": fallback_text(text)}


__all__ = ["build_card", "build_help", "build_list", "build_message", "build_no_match", "build_pick_list", "build_text"]
