"""Every Block Kit limit the checker enforces: one case Slack accepts and one it refuses, side by side."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from slack_sdk.models.blocks import (
    ActionsBlock,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    SectionBlock,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from bot.blocks.limits import (
    VIEW_MAX_BYTES,
    assert_valid_blocks,
    assert_valid_view,
    check_blocks,
    check_view,
    find_block_problems,
    view_size,
)

Json = dict[str, Any]


def pt(text: str) -> Json:
    return {"type": "plain_text", "text": text}


def md(text: str) -> Json:
    return {"type": "mrkdwn", "text": text}


def section(text: str = "hello", **extra: Any) -> Json:
    return {"type": "section", "text": md(text), **extra}


def button(text: Json | None = None, **extra: Any) -> Json:
    return {"type": "button", "text": text or pt("Go"), "action_id": "go", **extra}


def actions(*elements: Json, block_id: str | None = None) -> Json:
    block: Json = {"type": "actions", "elements": list(elements)}
    if block_id is not None:
        block["block_id"] = block_id
    return block


def option(text: str = "One", value: str = "1", kind: str = "plain_text", **extra: Any) -> Json:
    return {"text": {"type": kind, "text": text}, "value": value, **extra}


def options(n: int) -> list[Json]:
    return [option(f"Option {i}", str(i)) for i in range(n)]


def select(opts: list[Json], kind: str = "static_select", **extra: Any) -> Json:
    return {"type": kind, "action_id": "pick", "options": opts, **extra}


def input_block(element: Json, label: str = "Label", **extra: Any) -> Json:
    return {"type": "input", "block_id": "in", "label": pt(label), "element": element, **extra}


def text_input(**extra: Any) -> Json:
    return {"type": "plain_text_input", "action_id": "answer", **extra}


def modal(blocks: list[Json] | None = None, **extra: Any) -> Json:
    view: Json = {"type": "modal", "title": pt("Persona"), "submit": pt("Save"), "blocks": blocks or [section()]}
    view.update(extra)
    return view


# Each rule: (name, builds a message's blocks / a view from a size parameter, the accepted and the refused size,
# a fragment the refusal must mention). "view" rules go through check_view, the others through check_blocks.
Case = tuple[str, str, Callable[[int], Any], int, int, str]
CASES: list[Case] = [
    ("message blocks", "message", lambda n: [{"type": "divider"}] * n, 50, 51, "at most 50 blocks"),
    ("modal blocks", "view", lambda n: modal([{"type": "divider"}] * n), 100, 101, "at most 100 blocks"),
    ("home blocks", "view", lambda n: {"type": "home", "blocks": [{"type": "divider"}] * n}, 100, 101, "at most 100"),
    ("section mrkdwn text", "message", lambda n: [section("x" * n)], 3000, 3001, "/blocks/0/text/text"),
    ("section plain text", "message", lambda n: [{"type": "section", "text": pt("x" * n)}], 3000, 3001, "/text/text"),
    ("section field count", "message", lambda n: [{"type": "section", "fields": [md("f")] * n}], 10, 11, "fields"),
    ("section field text", "message", lambda n: [{"type": "section", "fields": [md("x" * n)]}], 2000, 2001, "fields/0"),
    ("header text", "message", lambda n: [{"type": "header", "text": pt("x" * n)}], 150, 151, "/blocks/0/text/text"),
    ("button text", "message", lambda n: [actions(button(pt("x" * n)))], 75, 76, "elements/0/text/text"),
    ("button value", "message", lambda n: [actions(button(value="v" * n))], 2000, 2001, "elements/0/value"),
    ("button url", "message", lambda n: [actions(button(url="h" * n))], 3000, 3001, "elements/0/url"),
    ("action_id", "message", lambda n: [actions({**button(), "action_id": "a" * n})], 255, 256, "action_id"),
    ("block_id", "message", lambda n: [section(block_id="b" * n)], 255, 256, "/blocks/0/block_id"),
    ("modal title", "view", lambda n: modal(title=pt("t" * n)), 24, 25, "/title/text"),
    ("modal submit", "view", lambda n: modal(submit=pt("s" * n)), 24, 25, "/submit/text"),
    ("modal close", "view", lambda n: modal(close=pt("c" * n)), 24, 25, "/close/text"),
    ("option text", "message", lambda n: [actions(select([option("o" * n)]))], 75, 76, "options/0/text/text"),
    ("option value", "message", lambda n: [actions(select([option(value="v" * n)]))], 150, 151, "options/0/value"),
    (
        "option description",
        "message",
        lambda n: [actions({"type": "radio_buttons", "action_id": "r", "options": [option(description=pt("d" * n))]})],
        75,
        76,
        "options/0/description",
    ),
    ("select options", "message", lambda n: [actions(select(options(n)))], 100, 101, "at most 100 options"),
    (
        "option groups",
        "message",
        lambda n: [
            actions(
                {
                    "type": "static_select",
                    "action_id": "g",
                    "option_groups": [{"label": pt("G"), "options": options(1)}] * n,
                }
            )
        ],
        100,
        101,
        "option_groups",
    ),
    (
        "radio buttons",
        "message",
        lambda n: [actions({"type": "radio_buttons", "action_id": "r", "options": options(n)})],
        10,
        11,
        "at most 10 options",
    ),
    (
        "checkboxes",
        "view",
        lambda n: modal([input_block({"type": "checkboxes", "action_id": "c", "options": options(n)})]),
        10,
        11,
        "at most 10 options",
    ),
    (
        "overflow at most",
        "message",
        lambda n: [section(accessory={"type": "overflow", "action_id": "o", "options": options(n)})],
        5,
        6,
        "at most 5 options",
    ),
    (
        "overflow at least",
        "message",
        lambda n: [section(accessory={"type": "overflow", "action_id": "o", "options": options(n)})],
        2,
        1,
        "at least 2 options",
    ),
    ("input max_length", "view", lambda n: modal([input_block(text_input(max_length=n))]), 3000, 3001, "max_length"),
    (
        "input min_length",
        "view",
        lambda n: modal([input_block(text_input(min_length=n, max_length=100))]),
        100,
        101,
        "exceeds max_length",
    ),
    (
        "input initial_value",
        "view",
        lambda n: modal([input_block(text_input(max_length=10, initial_value="x" * n))]),
        10,
        11,
        "initial_value",
    ),
    ("input label", "view", lambda n: modal([input_block(text_input(), label="l" * n)]), 2000, 2001, "/blocks/0/label"),
    (
        "input hint",
        "view",
        lambda n: modal([input_block(text_input(), hint=pt("h" * n))]),
        2000,
        2001,
        "/blocks/0/hint",
    ),
    ("private_metadata", "view", lambda n: modal(private_metadata="m" * n), 3000, 3001, "/private_metadata"),
    ("callback_id", "view", lambda n: modal(callback_id="c" * n), 255, 256, "/callback_id"),
    ("external_id", "view", lambda n: modal(external_id="e" * n), 255, 256, "/external_id"),
    (
        "context elements",
        "message",
        lambda n: [{"type": "context", "elements": [md("c")] * n}],
        10,
        11,
        "at most 10 elements",
    ),
    ("actions elements", "message", lambda n: [actions(*[button()] * n)], 25, 26, "at most 25 elements"),
    (
        "placeholder",
        "view",
        lambda n: modal([input_block(text_input(placeholder=pt("p" * n)))]),
        150,
        151,
        "placeholder",
    ),
    (
        "confirm title",
        "message",
        lambda n: [
            actions(button(confirm={"title": pt("t" * n), "text": md("Sure?"), "confirm": pt("Yes"), "deny": pt("No")}))
        ],
        100,
        101,
        "confirm/title",
    ),
]


def _problems(kind: str, obj: Any) -> list[str]:
    return check_view(obj) if kind == "view" else check_blocks(obj, kind)


@pytest.mark.parametrize(("name", "kind", "build", "ok", "too_much", "fragment"), CASES, ids=[c[0] for c in CASES])
def test_limit(name: str, kind: str, build: Callable[[int], Any], ok: int, too_much: int, fragment: str) -> None:
    assert _problems(kind, build(ok)) == []
    refused = _problems(kind, build(too_much))
    assert refused, f"{name}: {too_much} was accepted"
    assert any(fragment in p for p in refused), refused


def _home_of_size(size: int) -> Json:
    blocks: list[Json] = []
    view: Json = {"type": "home", "blocks": blocks}
    while view_size(view) + 6000 < size:
        blocks.append(section("é" * 1450, block_id=f"b{len(blocks)}"))
    blocks.append(section("a", block_id="filler"))
    needed = size - view_size(view) + 1  # bytes the filler's text must hold
    blocks[-1]["text"]["text"] = "é" * (needed // 2) + "a" * (needed % 2)
    assert view_size(view) == size
    return view


def test_view_size() -> None:
    """A view may be 250 kB of JSON, counted in UTF-8 bytes (unlike text lengths, counted in characters)."""
    assert check_view(_home_of_size(VIEW_MAX_BYTES)) == []
    refused = check_view(_home_of_size(VIEW_MAX_BYTES + 1))
    assert refused == [f"the view is {VIEW_MAX_BYTES + 1} bytes; the limit is {VIEW_MAX_BYTES} (250 kB)"]


def test_plain_text_only_fields_refuse_mrkdwn() -> None:
    assert check_blocks([{"type": "header", "text": pt("Title")}]) == []
    assert check_blocks([{"type": "header", "text": md("*Title*")}]) == [
        "/blocks/0/text/type: must be plain_text, not 'mrkdwn'"
    ]
    assert check_blocks([actions(button(md("*Go*")))]) == [
        "/blocks/0/elements/0/text/type: must be plain_text, not 'mrkdwn'"
    ]
    assert check_view(modal(title=md("Persona"))) == ["/title/type: must be plain_text, not 'mrkdwn'"]
    assert check_view(modal([input_block(text_input())], submit=pt("Save"))) == []
    labelled = input_block(text_input())
    labelled["label"] = md("Label")
    assert check_view(modal([labelled])) == ["/blocks/0/label/type: must be plain_text, not 'mrkdwn'"]


def test_option_text_is_plain_in_selects_and_may_be_mrkdwn_in_radio_buttons() -> None:
    mrkdwn_option = option("*One*", kind="mrkdwn")
    assert check_blocks([actions({"type": "radio_buttons", "action_id": "r", "options": [mrkdwn_option]})]) == []
    assert check_blocks([actions({"type": "checkboxes", "action_id": "c", "options": [mrkdwn_option]})]) == []
    refused = check_blocks([actions(select([mrkdwn_option]))])
    assert refused == ["/blocks/0/elements/0/options/0/text/type: must be plain_text, not 'mrkdwn'"]


def test_empty_text_is_refused_where_slack_sdk_silently_drops_it() -> None:
    assert check_blocks([section("x")]) == []
    assert check_blocks([section("")]) == ["/blocks/0/text/text: must be more than 0 characters"]
    assert check_blocks([{"type": "header", "text": pt("")}]) == ["/blocks/0/text/text: must be more than 0 characters"]
    assert check_blocks([{"type": "context", "elements": [md("")]}]) == [
        "/blocks/0/elements/0/text: must be more than 0 characters"
    ]
    assert check_blocks([actions(button(pt("")))]) == ["/blocks/0/elements/0/text/text: must be more than 0 characters"]


def test_block_ids_must_be_unique_within_a_message_or_view() -> None:
    assert check_blocks([section(block_id="a"), section(block_id="b")]) == []
    assert check_blocks([section(block_id="a"), section(block_id="a")]) == [
        "/blocks/1/block_id: block_id 'a' repeats block 0"
    ]
    refused = check_view(modal([section(block_id="x"), {"type": "divider", "block_id": "x"}]))
    assert refused == ["/blocks/1/block_id: block_id 'x' repeats block 0"]


def test_input_blocks_are_accepted_on_every_surface() -> None:
    """Slack has taken input blocks in messages and Home tabs since April 2021 (with dispatch_action)."""
    block = input_block(text_input(), dispatch_action=True)
    assert check_blocks([block], "message") == []
    assert check_blocks([block], "home") == []
    assert check_view({"type": "home", "blocks": [block]}) == []
    assert check_view(modal([block])) == []


def test_a_modal_with_inputs_needs_submit() -> None:
    with_submit = modal([input_block(text_input())])
    assert check_view(with_submit) == []
    without = {k: v for k, v in with_submit.items() if k != "submit"}
    assert check_view(without) == ["/submit: a modal with input blocks needs a submit button"]
    assert check_view({k: v for k, v in modal().items() if k != "submit"}) == []


def test_view_type_and_modal_title() -> None:
    assert check_view({"type": "home", "blocks": [section()]}) == []
    assert check_view({"type": "message", "blocks": [section()]}) == ["/type: must be modal or home, not 'message'"]
    assert check_view({"type": "modal", "blocks": [section()]}) == ["/title: a modal needs a title"]
    assert check_view({"type": "home"}) == ["/blocks: a view needs blocks"]


def test_min_length_alone_and_bounds() -> None:
    assert check_view(modal([input_block(text_input(min_length=3000))])) == []
    assert check_view(modal([input_block(text_input(min_length=3001))])) == [
        "/blocks/0/element/min_length: min_length must be a whole number from 0 to 3000"
    ]
    assert check_view(modal([input_block(text_input(max_length=0))])) == [
        "/blocks/0/element/max_length: max_length must be a whole number from 1 to 3000"
    ]
    assert check_view(modal([input_block(text_input(initial_value="x" * 3000))])) == []
    assert check_view(modal([input_block(text_input(initial_value="x" * 3001))])) == [
        "/blocks/0/element/initial_value: initial_value has 3001 characters; at most 3000"
    ]


def test_initial_option_must_be_one_of_the_options() -> None:
    opts = options(3)
    assert check_blocks([actions(select(opts, initial_option=opts[1]))]) == []
    refused = check_blocks([actions(select(opts, initial_option=option("Other", "99")))])
    assert refused == ["/blocks/0/elements/0/initial_option: initial_option must be one of the options"]


def test_unicode_counts_characters_not_bytes() -> None:
    """Emoji and right-to-left scripts count one per character, as Slack counts them."""
    assert check_blocks([section("😀" * 3000)]) == []  # 12,000 bytes of UTF-8
    assert check_blocks([section("😀" * 3001)]) == ["/blocks/0/text/text: must be at most 3000 characters, not 3001"]
    hebrew = "שלום עולם! " * 13 + "שלום ש"  # 149 characters, right to left
    arabic = "مرحبا"
    assert len(hebrew + "x") == 150
    assert check_blocks([{"type": "header", "text": pt(hebrew + "x")}]) == []
    assert check_blocks([{"type": "header", "text": pt(hebrew + arabic)}]) != []
    assert check_view(modal(title=pt("👩‍💻" * 4 + "ابحث"))) == []  # ZWJ sequences count per code point: 12 + 4
    assert check_blocks([actions(button(pt("🎉" * 75)))]) == []
    assert check_blocks([actions(button(pt("🎉" * 76)))]) != []


def test_slack_sdk_parses_every_block() -> None:
    """Problems only slack_sdk's models know about come through, and unknown block types are refused."""
    assert check_blocks([{"type": "carousel_of_doom"}]) == ["/blocks/0/type: unknown block type 'carousel_of_doom'"]
    image = {"type": "image", "image_url": "https://example.com/a.png", "alt_text": "a" * 2001}
    refused = check_blocks([image])
    assert len(refused) == 1
    assert "slack_sdk refuses" in refused[0]
    assert "alt_text" in refused[0]
    assert check_blocks([{**image, "alt_text": "a chart"}]) == []
    assert check_blocks(["not a block"]) == ["/blocks/0: a block must be a JSON object"]  # type: ignore[list-item]
    assert check_blocks([{"text": md("x")}]) == ["/blocks/0/type: a block needs a type"]


def test_blocks_built_with_slack_sdk_models_pass() -> None:
    blocks = [
        HeaderBlock(text="Quarterly persona check").to_dict(),
        SectionBlock(text=MarkdownTextObject(text="*Ada* &lt;3"), fields=[MarkdownTextObject(text="f")]).to_dict(),
        DividerBlock().to_dict(),
        ContextBlock(elements=[MarkdownTextObject(text="ctx")]).to_dict(),
        ActionsBlock(
            elements=[
                ButtonElement(text="Confirm", action_id="confirm", value="p-1", style="primary"),
                StaticSelectElement(action_id="choose", placeholder="Pick", options=[Option(text="A", value="a")]),
            ]
        ).to_dict(),
    ]
    assert_valid_blocks(blocks)
    view = View(
        type="modal",
        title="Edit persona",
        submit="Save",
        close="Cancel",
        callback_id="persona_edit",
        blocks=[InputBlock(label="Name", element=PlainTextInputElement(action_id="name", max_length=80))],
    ).to_dict()
    assert_valid_view(view)


def test_assertions_join_the_problems() -> None:
    with pytest.raises(AssertionError) as raised:
        assert_valid_blocks([section(""), {"type": "header", "text": md("x")}])
    message = str(raised.value)
    assert "/blocks/0/text/text: must be more than 0 characters" in message
    assert "/blocks/1/text/type: must be plain_text" in message
    with pytest.raises(AssertionError, match="/title: a modal needs a title"):
        assert_valid_view({"type": "modal", "blocks": [section()]})
    assert_valid_view(modal())


def test_problem_pointers_render_like_slack() -> None:
    (problem,) = find_block_problems([section("")])
    assert problem.slack_message() == "[ERROR] must be more than 0 characters [json-pointer:/blocks/0/text/text]"
    assert problem.slack_message("/view") == (
        "[ERROR] must be more than 0 characters [json-pointer:/view/blocks/0/text/text]"
    )


def test_unknown_surface_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="surface"):
        check_blocks([section()], "modals")
