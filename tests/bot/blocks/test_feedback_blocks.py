"""The feedback modal and confirmation: every variant within Slack's limits, and the parser's answers and errors."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from bot import ids
from bot.blocks.feedback import (
    MAX_ATTRIBUTE_QUESTIONS,
    FeedbackModalMeta,
    FormErrors,
    attribute_block_id,
    build_confirmation,
    build_feedback_modal,
    build_feedback_question_blocks,
    confirmation_fallback,
    malformed_links,
    parse_feedback_answers,
    read_feedback_draft,
    selected_persona_id,
    view_values,
)
from bot.blocks.limits import assert_valid_blocks, assert_valid_view
from bot.services.feedback import FeedbackForm, FeedbackReceipt, PersonaChoice
from bot.services.lookup import PersonaCard
from bot.untrusted import seal
from persona_store.feedback import FeedbackAnswers
from slack_standin.client import state_values

HOSTILE = [
    "<!channel> please look",
    "<@U0123ABCD> & <https://evil.example|click me>",
    '=HYPERLINK("http://x","y")',
    "emoji 🎉🔥 and right-to-left עברית العربية",
    "control\x07chars\x1b[31m",
    "x" * 5000,
]


def make_card(attributes: int = 3, **changes: Any) -> PersonaCard:
    third = max(1, attributes // 3)
    goals = tuple(f"Goal {i}" for i in range(third))
    pains = tuple(f"Pain {i}" for i in range(third))
    objections = tuple(f"Objection {i}" for i in range(attributes - 2 * third))
    card = PersonaCard(
        id=7,
        key="mary",
        name="Marketing Director Mary",
        role="Marketing Director",
        summary="",
        goals=goals,
        pain_points=pains,
        motivations=(),
        objections=objections,
        channels=(),
        evidence=(),
        owner=None,
        status="active",
        revision_number=2,
        revised_at=datetime(2026, 11, 2, tzinfo=UTC),
    )
    return replace(card, **changes)


def make_form(card: PersonaCard | None, **changes: Any) -> FeedbackForm:
    personas = tuple(PersonaChoice(i, f"Persona {i}") for i in range(1, 6)) + (
        (PersonaChoice(7, "Mary"),) if card else ()
    )
    form = FeedbackForm(personas=personas, persona=card, role="sales", anonymous=False)
    return replace(form, **changes)


META = FeedbackModalMeta(key="0123456789abcdef0123456789abcdef", persona_id=7, channel_id="C0DEALS")


def blocks_of(view: dict[str, Any]) -> str:
    return json.dumps(view["blocks"], ensure_ascii=False)


@pytest.mark.parametrize("attributes", [0, 1, 3, 10, 30, 200])
@pytest.mark.parametrize("anonymous", [False, True])
@pytest.mark.parametrize("source", ["adhoc", "shortcut"])
def test_every_variant_fits_slack_limits(attributes: int, anonymous: bool, source: str) -> None:
    card = make_card(attributes)
    form = make_form(card, anonymous=anonymous, query_missed="<!channel> nobody")
    prefill = FeedbackAnswers(persona_id=7, revision_number=2, role="success", evidence_message="y" * 3000)
    view = build_feedback_modal(form, replace(META, source=source), prefill=prefill)
    assert_valid_view(view)
    assert len(view["blocks"]) <= 100


def test_thirty_attributes_get_one_optional_select_each_under_their_headings() -> None:
    card = make_card(30)
    view = build_feedback_modal(make_form(card), META)
    assert_valid_view(view)
    attrs = [b for b in view["blocks"] if b.get("block_id", "").startswith(ids.BLOCK_FEEDBACK_ATTRIBUTE)]
    assert len(attrs) == 30
    assert all(b["optional"] and b["element"]["type"] == "static_select" for b in attrs)
    assert all(len(b["element"]["options"]) == 4 for b in attrs)
    assert {o["value"] for o in attrs[0]["element"]["options"]} == {"matches", "partly", "doesnt", "not_seen"}
    assert attrs[0]["block_id"] == "feedback_attr.7.2.0" and attrs[0]["label"]["text"] == "Goal 0"
    text = blocks_of(view)
    assert "*Goals*" in text and "*Pain points*" in text and "*Objections*" in text


def test_a_persona_with_more_statements_than_fit_says_how_many_are_left_out() -> None:
    view = build_feedback_modal(make_form(make_card(200)), META)
    assert_valid_view(view)
    attrs = [b for b in view["blocks"] if b.get("block_id", "").startswith(ids.BLOCK_FEEDBACK_ATTRIBUTE)]
    assert len(attrs) == MAX_ATTRIBUTE_QUESTIONS
    assert f"{200 - MAX_ATTRIBUTE_QUESTIONS} more statements didn't fit" in blocks_of(view)


def test_more_than_a_hundred_personas_still_offer_the_chosen_one() -> None:
    card = make_card(3, id=500)
    personas = tuple(PersonaChoice(i, f"Persona {i:03}") for i in range(1, 151))
    view = build_feedback_modal(make_form(card, personas=personas), META)
    assert_valid_view(view)
    select = next(b for b in view["blocks"] if b.get("block_id") == ids.BLOCK_FEEDBACK_PERSONA)["element"]
    assert len(select["options"]) == 100 and select["initial_option"]["value"] == "500"


def test_no_persona_yet_asks_for_one_and_leaves_out_the_statements() -> None:
    view = build_feedback_modal(make_form(None), replace(META, persona_id=None))
    assert_valid_view(view)
    persona = next(b for b in view["blocks"] if b.get("block_id") == ids.BLOCK_FEEDBACK_PERSONA)
    assert persona["dispatch_action"] is True and "initial_option" not in persona["element"]
    assert "Pick a persona" in blocks_of(view)


def test_the_modal_says_who_sees_the_answers() -> None:
    named = blocks_of(build_feedback_modal(make_form(make_card()), META))
    anonymous = blocks_of(build_feedback_modal(make_form(make_card(), anonymous=True), META))
    assert "with your name" in named
    assert "without your name" in anonymous and "stays attributed" in anonymous


def test_prefill_shows_every_earlier_answer() -> None:
    card = make_card(6)
    prefill = FeedbackAnswers(
        persona_id=7,
        revision_number=2,
        role="onboarding",
        fit=None,
        not_met=True,
        verdicts={0: "partly", 5: "not_seen"},
        missing_text="missing",
        objections_text="objections",
        evidence_ref="OPP-1",
        evidence_message="quote",
        journey_stage="renewal",
    )
    view = build_feedback_modal(make_form(card), META, prefill=prefill)
    values = view_values(view)
    parsed = parse_feedback_answers(values, card)
    assert parsed == prefill


def test_verdicts_for_another_revision_are_not_prefilled() -> None:
    prefill = FeedbackAnswers(persona_id=7, revision_number=1, role="sales", fit=3, verdicts={0: "matches"})
    view = build_feedback_modal(make_form(make_card()), META, prefill=prefill)
    block = next(b for b in view["blocks"] if b.get("block_id") == "feedback_attr.7.2.0")
    assert "initial_option" not in block["element"]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_persona_text_stays_within_limits_and_never_pings(text: str) -> None:
    card = make_card(3, name=text[:150], goals=(text,), pain_points=(text,), objections=(text,))
    form = make_form(card, personas=(PersonaChoice(7, text[:150]),), query_missed=text)
    view = build_feedback_modal(form, META)
    assert_valid_view(view)
    mrkdwn = [b["text"]["text"] for b in view["blocks"] if b["type"] == "section"]
    mrkdwn += [e["text"] for b in view["blocks"] if b["type"] == "context" for e in b["elements"]]
    assert not any("<!channel>" in t or "<@U0123ABCD>" in t or "\x07" in t for t in mrkdwn)


def test_question_blocks_take_a_prefix_so_several_personas_share_a_view() -> None:
    first, second = make_card(3), make_card(3, id=8)
    blocks = [
        *build_feedback_question_blocks(first, None, block_prefix="p7_", default_role="success"),
        *build_feedback_question_blocks(second, None, block_prefix="p8_", default_role="success"),
    ]
    dicts = [b.to_dict() for b in blocks]
    assert_valid_blocks(dicts, surface="modal")
    block_ids = [d["block_id"] for d in dicts if "block_id" in d]
    assert len(block_ids) == len(set(block_ids))
    view = {"blocks": dicts}
    values = state_values(
        view,
        {
            ("p7_feedback_fit", ids.ACTION_FEEDBACK_FIT): "5",
            ("p8_feedback_fit", ids.ACTION_FEEDBACK_FIT): "not_met",
            (attribute_block_id(second, 1, "p8_"), ids.ACTION_FEEDBACK_VERDICT): "doesnt",
        },
    )
    one, two = (
        parse_feedback_answers(values, first, block_prefix="p7_"),
        parse_feedback_answers(values, second, block_prefix="p8_"),
    )
    assert isinstance(one, FeedbackAnswers) and isinstance(two, FeedbackAnswers)
    assert (one.fit, one.role, one.verdicts) == (5, "success", {})
    assert (two.fit, two.not_met, two.verdicts) == (None, True, {1: "doesnt"})


def fill(card: PersonaCard, answers: dict[Any, Any]) -> dict[str, Any]:
    return state_values(build_feedback_modal(make_form(card), META), answers)


def test_a_complete_form_parses_into_answers() -> None:
    card = make_card(3)
    values = fill(
        card,
        {
            ids.ACTION_FEEDBACK_PERSONA: "7",
            ids.ACTION_FEEDBACK_FIT: "2",
            (attribute_block_id(card, 2), ids.ACTION_FEEDBACK_VERDICT): "matches",
            ids.ACTION_FEEDBACK_MISSING: "Budget owner is the CFO",
            ids.ACTION_FEEDBACK_EVIDENCE: "see https://crm.example/deals/42 and OPP-9",
            ids.ACTION_FEEDBACK_JOURNEY: "purchase",
        },
    )
    assert selected_persona_id(values) == 7
    parsed = parse_feedback_answers(values, card)
    assert parsed == FeedbackAnswers(
        persona_id=7,
        revision_number=2,
        role="sales",
        fit=2,
        verdicts={2: "matches"},
        missing_text="Budget owner is the CFO",
        evidence_ref="see https://crm.example/deals/42 and OPP-9",
        journey_stage="purchase",
    )


def test_missing_required_answers_and_bad_text_come_back_as_errors_by_block() -> None:
    card = make_card(3)
    values = fill(card, {ids.ACTION_FEEDBACK_MISSING: "x" * 3001, ids.ACTION_FEEDBACK_EVIDENCE: "https://"})
    values[ids.BLOCK_FEEDBACK_ROLE][ids.ACTION_FEEDBACK_ROLE]["selected_option"] = None
    errors = parse_feedback_answers(values, card)
    assert isinstance(errors, FormErrors)
    assert set(errors) == {
        ids.BLOCK_FEEDBACK_ROLE,
        ids.BLOCK_FEEDBACK_FIT,
        ids.BLOCK_FEEDBACK_MISSING,
        ids.BLOCK_FEEDBACK_EVIDENCE,
    }
    assert "3,000" in errors[ids.BLOCK_FEEDBACK_MISSING] and "web address" in errors[ids.BLOCK_FEEDBACK_EVIDENCE]
    draft = read_feedback_draft(values, card)
    assert draft.missing_text == "x" * 3001, "a draft keeps what was typed"


def test_forged_options_are_refused() -> None:
    card = make_card(3)
    values = fill(card, {ids.ACTION_FEEDBACK_FIT: "4"})
    values[ids.BLOCK_FEEDBACK_FIT][ids.ACTION_FEEDBACK_FIT]["selected_option"] = {"value": "11"}
    values[attribute_block_id(card, 0)][ids.ACTION_FEEDBACK_VERDICT]["selected_option"] = {"value": "love it"}
    values[ids.BLOCK_FEEDBACK_JOURNEY][ids.ACTION_FEEDBACK_JOURNEY]["selected_option"] = {"value": "moon"}
    errors = parse_feedback_answers(values, card)
    assert isinstance(errors, FormErrors)
    assert set(errors) == {ids.BLOCK_FEEDBACK_FIT, attribute_block_id(card, 0), ids.BLOCK_FEEDBACK_JOURNEY}


def test_text_is_kept_as_typed_except_nul_which_postgresql_cannot_hold() -> None:
    card = make_card(3)
    typed = "<!channel> =SUM(A1) \x07 🎉 עברית\x00end"
    values = fill(card, {ids.ACTION_FEEDBACK_FIT: "3", ids.ACTION_FEEDBACK_OBJECTIONS: typed})
    parsed = parse_feedback_answers(values, card)
    assert isinstance(parsed, FeedbackAnswers)
    assert parsed.objections_text == typed.replace("\x00", "\ufffd")
    blank = parse_feedback_answers(
        fill(card, {ids.ACTION_FEEDBACK_FIT: "3", ids.ACTION_FEEDBACK_MISSING: "  \n "}), card
    )
    assert isinstance(blank, FeedbackAnswers) and blank.missing_text == ""


@pytest.mark.parametrize(
    ("text", "bad"),
    [
        ("ACME renewal, OPP-1234", False),
        ("https://crm.example/deals/42", False),
        ("http://intranet:8080/x?y=1", False),
        ("www.acme.example", False),
        ('=HYPERLINK("https://evil.example","x")', False),
        ("<https://evil.example|click>", False),
        ("https://", True),
        ("htps://crm.example", True),
        ("http//crm.example", True),
        ("https:/crm.example", True),
        ("ftp://files.example", True),
    ],
)
def test_links_in_the_evidence_must_be_complete_web_addresses(text: str, bad: bool) -> None:
    assert bool(malformed_links(text)) is bad


def test_metadata_round_trips_and_refuses_tampering() -> None:
    meta = replace(
        META, source="shortcut", feedback_id=3, permalink="https://t.slack.com/archives/C1/p1", quote_cut=True
    )
    assert FeedbackModalMeta.from_json(meta.to_json()) == meta
    assert len(meta.to_json()) < 3000
    assert FeedbackModalMeta.from_json("not json") is None
    assert FeedbackModalMeta.from_json(meta.to_json().replace('"feedback_id":3', '"feedback_id":4')) is None
    assert FeedbackModalMeta.from_json('{"key": "k"}') is None, "unsealed metadata is never read"
    assert FeedbackModalMeta.from_json(seal(ids.VIEW_CHECKIN, {"key": "k"})) is None, "sealed for another view"
    assert FeedbackModalMeta.from_json(seal(ids.VIEW_FEEDBACK, {"key": "k", "source": "checkin"})) is None
    assert FeedbackModalMeta.from_json(seal(ids.VIEW_FEEDBACK, {"key": "k", "feedback_id": "1; DROP"})) is None
    assert FeedbackModalMeta.from_json(seal(ids.VIEW_FEEDBACK, {"key": "k", "feedback_id": 10**30})) is None
    forged = FeedbackModalMeta.from_json(
        seal(ids.VIEW_FEEDBACK, {"key": "k", "permalink": "https://x|<!channel>", "channel_id": "<!here>"})
    )
    assert forged is not None and forged.permalink == "" and forged.channel_id is None


def receipt(**changes: Any) -> FeedbackReceipt:
    base = FeedbackReceipt(
        id=12,
        persona_name="Marketing Director Mary",
        created=True,
        updated=False,
        role="success",
        fit=4,
        not_met=False,
        verdict_counts=(("matches", 2), ("doesnt", 1)),
        missing_text="",
        objections_text="",
        evidence_ref="",
        evidence_message="",
        evidence_permalink="",
        journey_stage=None,
        anonymous=False,
    )
    return replace(base, **changes)


@pytest.mark.parametrize("text", HOSTILE)
def test_confirmation_echoes_every_text_escaped_and_within_limits(text: str) -> None:
    r = receipt(
        persona_name=text[:150],
        missing_text=text,
        objections_text=text,
        evidence_ref=text,
        evidence_message=text,
        evidence_permalink="https://t.slack.com/archives/C1/p1",
        journey_stage="renewal",
        anonymous=True,
    )
    blocks = build_confirmation(r)
    assert_valid_blocks(blocks)
    shown = blocks[0]["text"]["text"] + confirmation_fallback(r)
    assert "<!channel>" not in shown and "<@U0123ABCD>" not in shown and "\x07" not in shown
    assert "<https://t.slack.com/archives/C1/p1|link>" in shown


def test_confirmation_summarises_and_offers_edit_and_delete_for_this_record() -> None:
    blocks = build_confirmation(receipt(anonymous=False))
    text = json.dumps(blocks, ensure_ascii=False)
    assert "4/5" in text and "2 match, 1 doesn't match" in text and "Customer success" in text
    buttons = blocks[-1]["elements"]
    assert [(b["action_id"], b["value"]) for b in buttons] == [
        (ids.ACTION_FEEDBACK_EDIT, "12"),
        (ids.ACTION_FEEDBACK_DELETE, "12"),
    ]
    assert buttons[1]["confirm"]["title"]["text"] == "Delete this feedback?"
    not_met = json.dumps(build_confirmation(receipt(fit=None, not_met=True, updated=True, created=False)))
    assert "haven't met" in not_met and "Updated" in not_met
