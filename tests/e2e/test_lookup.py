"""`/persona` lookups through the real server, as Slack sends them."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot import ids
from bot.blocks.limits import assert_valid_blocks
from tests.e2e.conftest import E2E

pytestmark = pytest.mark.e2e


def command(e2e: E2E, text: str, user_id: str = "U0REP") -> dict[str, Any]:
    reply = e2e.client.command(text, user_id=user_id, channel_id="C0DEALS")
    assert reply.status == 200, reply.text
    body: dict[str, Any] = reply.json()
    assert body["response_type"] == "ephemeral"
    assert_valid_blocks(body["blocks"])
    assert body["text"]
    return body


def buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    return [e for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]]


def header(message: dict[str, Any]) -> str:
    return next(b["text"]["text"] for b in message["blocks"] if b["type"] == "header")


def test_name_typo_and_role_words_find_the_right_card(e2e: E2E) -> None:
    e2e.seed_personas()
    assert header(command(e2e, "mary")) == "Marketing Director Mary"
    assert header(command(e2e, "fionna")) == "Finance Fiona"
    assert header(command(e2e, "revops")) == "RevOps Rick"
    card = command(e2e, "MARY")
    text = json.dumps(card["blocks"])
    for part in ("Goals", "Pain points", "Motivations", "Objections", "Channels", "Evidence", "Owner", "Last revised"):
        assert part in text
    assert [b["text"]["text"] for b in buttons(card)] == ["Share in channel", "Give feedback"]


def test_no_match_says_so_and_offers_the_closest_names(e2e: E2E) -> None:
    e2e.seed_personas()
    reply = command(e2e, "quantum blockchain astronaut")
    text = json.dumps(reply["blocks"])
    assert "couldn't find a persona" in text
    assert buttons(reply), "the closest names are offered as buttons"
    pick = buttons(reply)[0]
    e2e.client.block_action(pick["action_id"], pick["value"], message={"ts": "1.1", **reply}, channel_id="C0DEALS")
    posted = e2e.wait_for(lambda: e2e.standin.response_posts())
    assert posted[0].body["replace_original"] is True
    assert posted[0].body["blocks"][0]["type"] == "header"


def test_ambiguous_words_give_a_pick_list(e2e: E2E) -> None:
    e2e.seed_personas(
        "personas:\n"
        "  - {name: Sales Director Sam, role: Sales Director}\n"
        "  - {name: Support Director Sue, role: Support Director}\n"
        "  - {name: IT Admin Ivan, role: IT Administrator}\n"
    )
    reply = command(e2e, "director")
    assert "Which one did you mean" in json.dumps(reply["blocks"])
    choices = buttons(reply)
    assert {b["text"]["text"] for b in choices} == {"Sales Director Sam", "Support Director Sue"}
    assert all(b["action_id"] == ids.ACTION_PICK_PERSONA for b in choices)
    sue = next(b for b in choices if b["text"]["text"] == "Support Director Sue")
    e2e.client.block_action(sue["action_id"], sue["value"], message={"ts": "1.4", **reply}, channel_id="C0DEALS")
    posted = e2e.wait_for(lambda: e2e.standin.response_posts())
    assert posted[0].body["blocks"][0]["text"]["text"] == "Support Director Sue"


def test_list_and_help(e2e: E2E) -> None:
    count = e2e.seed_personas()
    listing = json.dumps(command(e2e, "list")["blocks"])
    assert f"{count} active personas" in listing
    assert "Marketing Director Mary" in listing and "Marketing Director" in listing
    for text in ("", "help", "HELP"):
        assert "/persona list" in json.dumps(command(e2e, text)["blocks"])


def test_empty_workspace_says_how_to_add_personas(e2e: E2E) -> None:
    assert "no active personas yet" in json.dumps(command(e2e, "list")["blocks"])
    assert "couldn't find a persona" in json.dumps(command(e2e, "mary")["blocks"])


def test_share_posts_the_card_for_everyone_attributed_to_the_sharer(e2e: E2E) -> None:
    e2e.seed_personas()
    card = command(e2e, "mary", user_id="U0SHARER")
    share = buttons(card)[0]
    reply = e2e.client.block_action(
        share["action_id"], share["value"], user_id="U0SHARER", channel_id="C0DEALS", message={"ts": "1.2", **card}
    )
    assert reply.status == 200
    posts = e2e.wait_for(lambda: len(e2e.standin.response_posts()) >= 2 and e2e.standin.response_posts())
    shared = next(p.body for p in posts if p.body.get("response_type") == "in_channel")
    assert_valid_blocks(shared["blocks"])
    text = json.dumps(shared["blocks"])
    assert "Shared by <@U0SHARER>" in text
    assert "Marketing Director Mary" in text
    assert not [b for b in shared["blocks"] if b["type"] == "actions"], "the shared copy has no buttons"
    assert any(p.body.get("delete_original") for p in posts), "the private card is tidied away"


def test_share_of_a_persona_from_another_workspace_reveals_nothing(e2e: E2E) -> None:
    e2e.seed_personas()
    card = command(e2e, "mary")
    share = buttons(card)[0]
    other = e2e.client.__class__(e2e.bot.url, e2e.client.signing_secret, standin=e2e.standin, team_id="T0OTHER")
    other.block_action(share["action_id"], share["value"], channel_id="C0DEALS", message={"ts": "1.3", **card})
    posts = e2e.wait_for(lambda: e2e.standin.response_posts())
    assert "Marketing Director Mary" not in json.dumps(posts[0].body)
    assert "no longer available" in json.dumps(posts[0].body)
    other.close()


@pytest.mark.parametrize(
    "query",
    [
        "<!channel> hello",
        "<@U0BOSS> <https://evil.example|click>",
        "&amp; & < >",
        "x" * 5000,
        "🎉🔥 עברית العربية ✨",
        "ctrl\x00\x07\x1bchars",
    ],
)
def test_hostile_queries_are_echoed_escaped_and_within_limits(e2e: E2E, query: str) -> None:
    e2e.seed_personas()
    reply = command(e2e, query)
    mrkdwn = json.dumps([b.get("text", {}).get("text", "") for b in reply["blocks"]])
    assert "<!channel>" not in mrkdwn and "<@U0BOSS>" not in mrkdwn and "<https://evil" not in mrkdwn
    assert "\\u0000" not in mrkdwn
