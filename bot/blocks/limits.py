"""Block Kit limits that Slack enforces and slack_sdk's models do not (or not all of them).

Lengths are counted in characters (code points), not bytes: Slack counts an emoji or a Hebrew letter as one.
Every problem names the JSON pointer it is about, the way Slack's own `invalid_blocks` messages do.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block

from bot.slack import limits as slack
from bot.slack.limits import VIEW_MAX_BYTES as VIEW_MAX_BYTES  # re-exported: the stand-in reads it here

Surface = Literal["message", "modal", "home"]


# Elements whose options are plain_text only; radio buttons and checkboxes also take mrkdwn.
_PLAIN_OPTION_ELEMENTS = {"static_select", "multi_static_select", "overflow"}
_SELECT_ELEMENTS = {"static_select", "multi_static_select"}
_CHOICE_ELEMENTS = {"radio_buttons", "checkboxes"}
_PLACEHOLDER_ELEMENTS = {
    "static_select",
    "multi_static_select",
    "external_select",
    "multi_external_select",
    "users_select",
    "multi_users_select",
    "conversations_select",
    "multi_conversations_select",
    "channels_select",
    "multi_channels_select",
    "plain_text_input",
    "email_text_input",
    "url_text_input",
    "number_input",
    "datepicker",
    "timepicker",
    "rich_text_input",
}
_SDK_ERRORS = (SlackObjectFormationError, TypeError, ValueError, AttributeError, KeyError)


@dataclass(frozen=True)
class Problem:
    """One refusal: where (a JSON pointer into the checked object) and why."""

    pointer: str
    message: str

    def __str__(self) -> str:
        return f"{self.pointer}: {self.message}" if self.pointer else self.message

    def slack_message(self, prefix: str = "") -> str:
        """The shape of Slack's own `response_metadata.messages` entries."""
        return f"[ERROR] {self.message} [json-pointer:{prefix}{self.pointer}]"


def check_blocks(blocks: Sequence[Mapping[str, Any]], surface: str = "message") -> list[str]:
    """Problems Slack would refuse in a list of blocks on `surface` (message, modal or home); empty when fine."""
    return [str(p) for p in find_block_problems(blocks, surface)]


def check_view(view: Mapping[str, Any]) -> list[str]:
    """Problems Slack would refuse in a modal or Home tab view; empty when fine."""
    return [str(p) for p in find_view_problems(view)]


def assert_valid_blocks(blocks: Sequence[Mapping[str, Any]], surface: str = "message") -> None:
    problems = check_blocks(blocks, surface)
    if problems:
        raise AssertionError("Slack would refuse these blocks:\n" + "\n".join(problems))


def assert_valid_view(view: Mapping[str, Any]) -> None:
    problems = check_view(view)
    if problems:
        raise AssertionError("Slack would refuse this view:\n" + "\n".join(problems))


def view_size(view: Mapping[str, Any]) -> int:
    """Bytes of the view as compact UTF-8 JSON, the size Slack's 250 kB limit is about."""
    return len(json.dumps(view, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))


def find_block_problems(blocks: Any, surface: str = "message", pointer: str = "/blocks") -> list[Problem]:
    if surface not in slack.MAX_BLOCKS:
        raise ValueError(f"surface must be one of {sorted(slack.MAX_BLOCKS)}, not {surface!r}")
    checker = _Checker()
    checker.blocks(blocks, surface, pointer)
    return checker.problems


def find_view_problems(view: Any) -> list[Problem]:
    checker = _Checker()
    checker.view(view)
    return checker.problems


class _Checker:
    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, pointer: str, message: str) -> None:
        self.problems.append(Problem(pointer, message))

    # -- views ---------------------------------------------------------------------------------------------

    def view(self, view: Any) -> None:
        if not isinstance(view, Mapping):
            self.add("", "a view must be a JSON object")
            return
        kind = view.get("type")
        if kind not in ("modal", "home"):
            self.add("/type", f"must be modal or home, not {kind!r}")
        size = view_size(view)
        if size > VIEW_MAX_BYTES:
            self.add("", f"the view is {size} bytes; the limit is {VIEW_MAX_BYTES} (250 kB)")
        if kind == "modal":
            if view.get("title") is None:
                self.add("/title", "a modal needs a title")
            for key in ("title", "submit", "close"):
                if view.get(key) is not None:
                    self.text(view[key], f"/{key}", slack.VIEW_TEXT_MAX, plain_only=True)
        self.string(view, "private_metadata", "", slack.PRIVATE_METADATA_MAX)
        self.string(view, "callback_id", "", slack.ID_MAX)
        self.string(view, "external_id", "", slack.ID_MAX)
        blocks = view.get("blocks")
        if blocks is None:
            self.add("/blocks", "a view needs blocks")
            return
        surface = kind if kind in ("modal", "home") else "modal"
        self.blocks(blocks, surface, "/blocks")
        has_input = isinstance(blocks, list) and any(
            isinstance(b, Mapping) and b.get("type") == "input" for b in blocks
        )
        if kind == "modal" and has_input and view.get("submit") is None:
            self.add("/submit", "a modal with input blocks needs a submit button")

    # -- blocks --------------------------------------------------------------------------------------------

    def blocks(self, blocks: Any, surface: str, pointer: str) -> None:
        if not isinstance(blocks, list):
            self.add(pointer, "blocks must be an array")
            return
        limit = slack.MAX_BLOCKS[surface]
        if len(blocks) > limit:
            self.add(pointer, f"a {surface} holds at most {limit} blocks, not {len(blocks)}")
        seen: dict[str, int] = {}
        for i, block in enumerate(blocks):
            where = f"{pointer}/{i}"
            if not isinstance(block, Mapping):
                self.add(where, "a block must be a JSON object")
                continue
            block_id = block.get("block_id")
            if isinstance(block_id, str):
                if block_id in seen:
                    self.add(f"{where}/block_id", f"block_id {block_id!r} repeats block {seen[block_id]}")
                else:
                    seen[block_id] = i
            self.block(block, where)

    def block(self, block: Mapping[str, Any], pointer: str) -> None:
        self.string(block, "block_id", pointer, slack.ID_MAX)
        kind = block.get("type")
        if not isinstance(kind, str):
            self.add(f"{pointer}/type", "a block needs a type")
            return
        before = len(self.problems)
        check = getattr(self, f"_block_{kind}", None)
        if check is not None:
            check(block, pointer)
        if len(self.problems) == before:
            self.sdk_parse(block, pointer)

    def sdk_parse(self, block: Mapping[str, Any], pointer: str) -> None:
        # Our own checks name the precise field; slack_sdk's only run when ours found nothing, to avoid echoes.
        try:
            key = json.dumps(block, separators=(",", ":"))
        except (TypeError, ValueError):
            verdict = _sdk_verdict_of(block)
        else:
            verdict = _sdk_verdict(key)
        if verdict is not None:
            self.add(*(f"{pointer}{verdict[0]}", verdict[1]))

    def _block_section(self, block: Mapping[str, Any], pointer: str) -> None:
        text, fields = block.get("text"), block.get("fields")
        if text is None and fields is None:
            self.add(pointer, "a section needs text or fields")
        if text is not None:
            self.text(text, f"{pointer}/text", slack.SECTION_TEXT_MAX)
        if fields is not None:
            if not isinstance(fields, list) or not fields:
                self.add(f"{pointer}/fields", "fields must be a non-empty array")
            else:
                if len(fields) > slack.SECTION_FIELDS_MAX:
                    self.add(f"{pointer}/fields", f"at most {slack.SECTION_FIELDS_MAX} fields, not {len(fields)}")
                for i, field in enumerate(fields):
                    self.text(field, f"{pointer}/fields/{i}", slack.SECTION_FIELD_TEXT_MAX)
        if block.get("accessory") is not None:
            self.element(block["accessory"], f"{pointer}/accessory")

    def _block_header(self, block: Mapping[str, Any], pointer: str) -> None:
        if block.get("text") is None:
            self.add(f"{pointer}/text", "a header needs text")
        else:
            self.text(block["text"], f"{pointer}/text", slack.HEADER_TEXT_MAX, plain_only=True)

    def _block_actions(self, block: Mapping[str, Any], pointer: str) -> None:
        elements = self.array(block, "elements", pointer, slack.ACTIONS_ELEMENTS_MAX)
        for i, element in enumerate(elements):
            self.element(element, f"{pointer}/elements/{i}")

    def _block_context(self, block: Mapping[str, Any], pointer: str) -> None:
        elements = self.array(block, "elements", pointer, slack.CONTEXT_ELEMENTS_MAX)
        for i, element in enumerate(elements):
            where = f"{pointer}/elements/{i}"
            if isinstance(element, Mapping) and element.get("type") in ("plain_text", "mrkdwn"):
                self.text(element, where, slack.SECTION_TEXT_MAX)
            elif not (isinstance(element, Mapping) and element.get("type") == "image"):
                self.add(where, "context elements are text objects or images")

    def _block_input(self, block: Mapping[str, Any], pointer: str) -> None:
        # Slack takes input blocks in modals, Home tabs and (since April 2021) messages, so no surface check.
        if block.get("label") is None:
            self.add(f"{pointer}/label", "an input block needs a label")
        else:
            self.text(block["label"], f"{pointer}/label", slack.INPUT_LABEL_MAX, plain_only=True)
        if block.get("hint") is not None:
            self.text(block["hint"], f"{pointer}/hint", slack.INPUT_HINT_MAX, plain_only=True)
        if block.get("element") is None:
            self.add(f"{pointer}/element", "an input block needs an element")
        else:
            self.element(block["element"], f"{pointer}/element")

    def _block_image(self, block: Mapping[str, Any], pointer: str) -> None:
        if block.get("title") is not None:
            self.text(block["title"], f"{pointer}/title", slack.IMAGE_TITLE_MAX, plain_only=True)

    # -- elements ------------------------------------------------------------------------------------------

    def element(self, element: Any, pointer: str) -> None:
        if not isinstance(element, Mapping):
            self.add(pointer, "an element must be a JSON object")
            return
        kind = element.get("type")
        self.string(element, "action_id", pointer, slack.ID_MAX)
        if kind in _PLACEHOLDER_ELEMENTS and element.get("placeholder") is not None:
            self.text(element["placeholder"], f"{pointer}/placeholder", slack.PLACEHOLDER_MAX, plain_only=True)
        if element.get("confirm") is not None:
            self.confirm(element["confirm"], f"{pointer}/confirm")
        if kind == "button":
            self.button(element, pointer)
        elif kind in _SELECT_ELEMENTS or kind in _CHOICE_ELEMENTS or kind == "overflow":
            self.options_element(element, str(kind), pointer)
        elif kind == "plain_text_input":
            self.text_input(element, pointer)

    def button(self, element: Mapping[str, Any], pointer: str) -> None:
        if element.get("text") is None:
            self.add(f"{pointer}/text", "a button needs text")
        else:
            self.text(element["text"], f"{pointer}/text", slack.BUTTON_TEXT_MAX, plain_only=True)
        self.string(element, "value", pointer, slack.BUTTON_VALUE_MAX)
        self.string(element, "url", pointer, slack.URL_MAX)

    def options_element(self, element: Mapping[str, Any], kind: str, pointer: str) -> None:
        plain_only = kind in _PLAIN_OPTION_ELEMENTS
        options, groups = element.get("options"), element.get("option_groups")
        if kind in _SELECT_ELEMENTS and groups is not None:
            if options is not None:
                self.add(pointer, "options and option_groups cannot both be given")
            listed = self.array(element, "option_groups", pointer, slack.OPTION_GROUPS_MAX)
            for g, group in enumerate(listed):
                where = f"{pointer}/option_groups/{g}"
                if not isinstance(group, Mapping):
                    self.add(where, "an option group must be a JSON object")
                    continue
                if group.get("label") is None:
                    self.add(f"{where}/label", "an option group needs a label")
                else:
                    self.text(group["label"], f"{where}/label", slack.OPTION_GROUP_LABEL_MAX, plain_only=True)
                for i, option in enumerate(self.array(group, "options", where, slack.SELECT_OPTIONS_MAX)):
                    self.option(option, f"{where}/options/{i}", plain_only)
            return
        if kind in _CHOICE_ELEMENTS:
            limit = slack.CHOICE_OPTIONS_MAX
        elif kind == "overflow":
            limit = slack.OVERFLOW_OPTIONS_MAX
        else:
            limit = slack.SELECT_OPTIONS_MAX
        listed = self.array(element, "options", pointer, limit)
        if kind == "overflow" and listed and len(listed) < slack.OVERFLOW_OPTIONS_MIN:
            self.add(f"{pointer}/options", f"an overflow menu needs at least {slack.OVERFLOW_OPTIONS_MIN} options")
        for i, option in enumerate(listed):
            self.option(option, f"{pointer}/options/{i}", plain_only)
        values = {o.get("value") for o in listed if isinstance(o, Mapping)}
        initial = element.get("initial_option")
        if isinstance(initial, Mapping) and listed and initial.get("value") not in values:
            self.add(f"{pointer}/initial_option", "initial_option must be one of the options")
        for i, option in enumerate(element.get("initial_options") or []):
            if isinstance(option, Mapping) and listed and option.get("value") not in values:
                self.add(f"{pointer}/initial_options/{i}", "initial_options must be among the options")

    def option(self, option: Any, pointer: str, plain_only: bool) -> None:
        if not isinstance(option, Mapping):
            self.add(pointer, "an option must be a JSON object")
            return
        if option.get("text") is None:
            self.add(f"{pointer}/text", "an option needs text")
        else:
            self.text(option["text"], f"{pointer}/text", slack.OPTION_TEXT_MAX, plain_only=plain_only)
        if option.get("value") is None:
            self.add(f"{pointer}/value", "an option needs a value")
        self.string(option, "value", pointer, slack.OPTION_VALUE_MAX)
        if option.get("description") is not None:
            self.text(
                option["description"], f"{pointer}/description", slack.OPTION_DESCRIPTION_MAX, plain_only=plain_only
            )
        self.string(option, "url", pointer, slack.URL_MAX)

    def text_input(self, element: Mapping[str, Any], pointer: str) -> None:
        min_length, max_length = element.get("min_length"), element.get("max_length")
        if max_length is not None and not _int_between(max_length, 1, slack.TEXT_INPUT_MAX):
            self.add(f"{pointer}/max_length", f"max_length must be a whole number from 1 to {slack.TEXT_INPUT_MAX}")
            max_length = None
        if min_length is not None and not _int_between(min_length, 0, slack.TEXT_INPUT_MAX):
            self.add(f"{pointer}/min_length", f"min_length must be a whole number from 0 to {slack.TEXT_INPUT_MAX}")
            min_length = None
        if min_length is not None and max_length is not None and min_length > max_length:
            self.add(f"{pointer}/min_length", f"min_length {min_length} exceeds max_length {max_length}")
        initial = element.get("initial_value")
        if isinstance(initial, str):
            cap = max_length if max_length is not None else slack.TEXT_INPUT_MAX
            if len(initial) > cap:
                self.add(f"{pointer}/initial_value", f"initial_value has {len(initial)} characters; at most {cap}")

    def confirm(self, confirm: Any, pointer: str) -> None:
        if not isinstance(confirm, Mapping):
            self.add(pointer, "a confirm dialog must be a JSON object")
            return
        for key, limit, plain in (
            ("title", slack.CONFIRM_TITLE_MAX, True),
            ("text", slack.CONFIRM_TEXT_MAX, False),
            ("confirm", slack.CONFIRM_BUTTON_MAX, True),
            ("deny", slack.CONFIRM_BUTTON_MAX, True),
        ):
            if confirm.get(key) is not None:
                self.text(confirm[key], f"{pointer}/{key}", limit, plain_only=plain)

    # -- composition ---------------------------------------------------------------------------------------

    def text(self, obj: Any, pointer: str, limit: int, plain_only: bool = False) -> None:
        if not isinstance(obj, Mapping):
            self.add(pointer, "must be a text object")
            return
        kind = obj.get("type")
        if plain_only and kind != "plain_text":
            self.add(f"{pointer}/type", f"must be plain_text, not {kind!r}")
        elif kind not in ("plain_text", "mrkdwn"):
            self.add(f"{pointer}/type", f"must be plain_text or mrkdwn, not {kind!r}")
        text = obj.get("text")
        if not isinstance(text, str):
            self.add(f"{pointer}/text", "must be a string")
        elif text == "":
            self.add(f"{pointer}/text", "must be more than 0 characters")
        elif len(text) > limit:
            self.add(f"{pointer}/text", f"must be at most {limit} characters, not {len(text)}")

    def string(self, obj: Mapping[str, Any], key: str, pointer: str, limit: int) -> None:
        value = obj.get(key)
        if value is None:
            return
        if not isinstance(value, str):
            self.add(f"{pointer}/{key}", "must be a string")
        elif len(value) > limit:
            self.add(f"{pointer}/{key}", f"must be at most {limit} characters, not {len(value)}")

    def array(self, obj: Mapping[str, Any], key: str, pointer: str, limit: int) -> list[Any]:
        value = obj.get(key)
        if not isinstance(value, list) or not value:
            self.add(f"{pointer}/{key}", f"{key} must be a non-empty array")
            return []
        if len(value) > limit:
            self.add(f"{pointer}/{key}", f"at most {limit} {key}, not {len(value)}")
        return value


@functools.lru_cache(maxsize=4096)
def _sdk_verdict(block_json: str) -> tuple[str, str] | None:
    """slack_sdk's verdict on one block, cached: parsing costs ~50 µs a block and the stand-in sees repeats."""
    return _sdk_verdict_of(json.loads(block_json))


def _sdk_verdict_of(block: Mapping[str, Any]) -> tuple[str, str] | None:
    try:
        parsed = Block.parse(dict(block))
        if parsed is None:
            return "/type", f"unknown block type {block.get('type')!r}"
        parsed.to_dict()
    except _SDK_ERRORS as exc:
        return "", f"slack_sdk refuses this block: {exc}"
    return None


def _int_between(value: Any, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high
