"""Persona cards, lists and pick lists: within Slack's limits and safe for any text a person typed."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from bot import ids
from bot.blocks.limits import assert_valid_blocks
from bot.blocks.persona import build_card, build_help, build_list, build_no_match, build_pick_list, card_fallback
from bot.services.lookup import LookupAnswer, LookupOutcome, PersonaCard

HOSTILE = [
    "<!channel> please look",
    "<@U0123ABCD> & <https://evil.example|click me>",
    '=HYPERLINK("http://x","y")',
    "emoji 🎉🔥 and right-to-left עברית العربية",
    "control\x00chars\x07here\x1b[31m",
    "x" * 5000,
]


def make_card(**changes: object) -> PersonaCard:
    card = PersonaCard(
        id=7,
        key="marketing-director-mary",
        name="Marketing Director Mary",
        role="Marketing Director",
        summary="Owns pipeline targets.",
        goals=("Hit MQL targets",),
        pain_points=("Attribution is guesswork",),
        motivations=("Recognition",),
        objections=("Too expensive",),
        channels=("LinkedIn",),
        evidence=("12 interviews, 2026",),
        owner="U0OWNER1",
        status="active",
        revision_number=3,
        revised_at=datetime(2026, 11, 2, tzinfo=UTC),
    )
    return replace(card, **changes)  # type: ignore[arg-type]


def all_text(blocks: list[dict[str, object]]) -> str:
    return json.dumps(blocks, ensure_ascii=False)


def mrkdwn_texts(node: object) -> list[str]:
    """Every mrkdwn string (plain_text is never parsed for mentions or links, so it may hold anything)."""
    if isinstance(node, dict):
        if node.get("type") == "mrkdwn":
            return [str(node["text"])]
        return [t for value in node.values() for t in mrkdwn_texts(value)]
    if isinstance(node, list):
        return [t for item in node for t in mrkdwn_texts(item)]
    return []


def test_card_shows_every_part_and_two_buttons() -> None:
    blocks = build_card(make_card())
    assert_valid_blocks(blocks)
    text = all_text(blocks)
    for part in (
        "Marketing Director Mary",
        "Hit MQL targets",
        "Attribution is guesswork",
        "Recognition",
        "Too expensive",
        "LinkedIn",
        "12 interviews",
        "<@U0OWNER1>",
        "02 Nov 2026",
        "revision 3",
    ):
        assert part in text
    buttons = [e for b in blocks if b["type"] == "actions" for e in b["elements"]]
    assert [(b["action_id"], b["value"]) for b in buttons] == [
        (ids.ACTION_SHARE_CARD, "7"),
        (ids.ACTION_GIVE_FEEDBACK, "7"),
    ]


def test_shared_card_names_the_sharer_and_has_no_buttons() -> None:
    blocks = build_card(make_card(), shared_by="U0SHARER", with_actions=False)
    assert_valid_blocks(blocks)
    assert "Shared by <@U0SHARER>" in all_text(blocks)
    assert not [b for b in blocks if b["type"] == "actions"]


@pytest.mark.parametrize("hostile", HOSTILE)
def test_hostile_persona_text_is_escaped_and_within_limits(hostile: str) -> None:
    card = make_card(name=hostile[:150], role=hostile, summary=hostile, goals=(hostile,) * 30, evidence=(hostile,))
    blocks = build_card(card)
    assert_valid_blocks(blocks)
    text = "\n".join([*mrkdwn_texts(blocks), card_fallback(card)])
    assert "<!channel>" not in text
    assert "<https://evil" not in text
    assert "\x00" not in text and "\x07" not in text
    assert "<@U0123ABCD>" not in text  # a mention typed into persona text must not ping
    assert "\x00" not in all_text(blocks)


def test_owner_that_is_not_a_user_id_is_not_turned_into_a_mention() -> None:
    text = all_text(build_card(make_card(owner="<!here>")))
    assert "<!here>" not in text and "&lt;!here&gt;" in text


@pytest.mark.parametrize("hostile", HOSTILE)
def test_no_match_and_pick_list_escape_the_query(hostile: str) -> None:
    suggestions = (make_card(), make_card(id=8, name="Finance Fiona"))
    for blocks in (
        build_no_match(LookupAnswer(LookupOutcome.NO_MATCH, hostile, suggestions=suggestions)),
        build_no_match(LookupAnswer(LookupOutcome.NO_MATCH, hostile)),
        build_pick_list(LookupAnswer(LookupOutcome.PICK, hostile, candidates=suggestions)),
    ):
        assert_valid_blocks(blocks)
        assert "<!channel>" not in "".join(mrkdwn_texts(blocks))


def test_list_of_many_personas_stays_under_the_message_block_limit() -> None:
    cards = [make_card(id=i, name=f"Persona {i:03d}") for i in range(300)]
    blocks = build_list(cards)
    assert_valid_blocks(blocks)
    assert len(blocks) <= 50
    assert "and 260 more" in all_text(blocks)


def test_empty_list_says_how_to_add_personas() -> None:
    blocks = build_list([])
    assert_valid_blocks(blocks)
    assert "no active personas yet" in all_text(blocks)


def test_help_lists_every_subcommand() -> None:
    blocks = build_help()
    assert_valid_blocks(blocks)
    text = all_text(blocks)
    for sub in ("list", "feedback", "report", "edit", "new", "history", "checkin status", "help"):
        assert f"/persona {sub}" in text
