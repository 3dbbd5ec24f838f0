"""`/persona settings`: the modal (pre-filled with the workspace's current settings), its parser, and the saved
view. Problems come back next to their field; words in `prompts/settings.j2`."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from slack_sdk.models.blocks import (
    Block,
    CheckboxesElement,
    ConversationFilter,
    ConversationSelectElement,
    InputBlock,
    InputInteractiveElement,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    RadioButtonsElement,
    StaticSelectElement,
)

from bot import ids
from bot.blocks.common import context, modal, mrkdwn_section
from bot.render import render_part
from bot.services.settings import SettingsChangeInfo
from persona_store.workspace_settings import CADENCES, REMINDER_CAP_MAX, WorkspaceSettings, validate

# Form fields in the order shown; `summary_to` + `summary_channel` together make WorkspaceSettings.summary_channel.
FIELDS = (
    "cadence",
    "cadence_every",
    "open_hour",
    "reminder_days",
    "close_day",
    "max_reminders",
    "quiet_days",
    "summary_to",
    "summary_channel",
    "anonymous",
    "min_group_size",
    "review_after_days",
    "outcomes_on_card",
)
_NUMBER_FIELDS = ("cadence_every", "close_day", "min_group_size", "review_after_days")


def block_id(name: str) -> str:
    return f"{ids.SETTINGS_BLOCK_PREFIX}{name}"


def action_id(name: str) -> str:
    return block_id(name) + "_input"


def _t(macro: str, *args: Any) -> str:
    return render_part("settings", macro, *args)


def _plain(text: str) -> PlainTextObject:
    return PlainTextObject(text=text)


def _option(text: str, value: str) -> Option:
    return Option(text=_plain(text), value=value)


def _input(name: str, element: InputInteractiveElement, *, optional: bool = False, hint: bool = False) -> InputBlock:
    return InputBlock(
        block_id=block_id(name),
        label=_plain(_t("label", name)),
        element=element,
        hint=_plain(_t("hint", name)) if hint else None,
        optional=optional,
    )


def _text(name: str, value: str, *, multiline: bool = False, max_length: int = 20) -> PlainTextInputElement:
    return PlainTextInputElement(
        action_id=action_id(name), initial_value=value or None, multiline=multiline, max_length=max_length
    )


def build_settings_modal(current: WorkspaceSettings, last: SettingsChangeInfo | None = None) -> dict[str, Any]:
    cadences = [_option(_t("cadence_option", c), c) for c in CADENCES]
    hours = [_option(_t("hour_option", h), str(h)) for h in range(24)]
    caps = [_option(str(n), str(n)) for n in range(REMINDER_CAP_MAX + 1)]
    summary = [_option(_t("summary_option", v), v) for v in ("managers", "channel")]
    anonymous = _option(_t("anonymous_option"), "anonymous")
    on_card = _option(_t("outcomes_on_card_option"), "outcomes_on_card")
    channel = ConversationSelectElement(
        action_id=action_id("summary_channel"),
        initial_conversation=current.summary_channel,
        filter=ConversationFilter(include=["public", "private"], exclude_bot_users=True),
    )
    blocks: list[Block] = [mrkdwn_section(_t("intro"))]
    if last is not None:
        blocks.append(context(_t("last_change", last)))
    blocks += [
        _input(
            "cadence",
            StaticSelectElement(
                action_id=action_id("cadence"),
                options=cadences,
                initial_option=cadences[CADENCES.index(current.cadence)],
            ),
            hint=True,
        ),
        _input("cadence_every", _text("cadence_every", str(current.cadence_every)), hint=True),
        _input(
            "open_hour",
            StaticSelectElement(
                action_id=action_id("open_hour"), options=hours, initial_option=hours[current.open_hour]
            ),
        ),
        _input(
            "reminder_days",
            _text("reminder_days", ", ".join(map(str, current.reminder_days)), max_length=100),
            optional=True,
            hint=True,
        ),
        _input("close_day", _text("close_day", str(current.close_day)), hint=True),
        _input(
            "max_reminders",
            StaticSelectElement(
                action_id=action_id("max_reminders"),
                options=caps,
                initial_option=caps[min(current.max_reminders, REMINDER_CAP_MAX)],
            ),
        ),
        _input(
            "quiet_days",
            _text("quiet_days", "\n".join(d.isoformat() for d in current.quiet_days), multiline=True, max_length=3000),
            optional=True,
            hint=True,
        ),
        _input(
            "summary_to",
            RadioButtonsElement(
                action_id=action_id("summary_to"),
                options=summary,
                initial_option=summary[1 if current.summary_channel else 0],
            ),
        ),
        _input("summary_channel", channel, optional=True, hint=True),
        _input(
            "anonymous",
            CheckboxesElement(
                action_id=action_id("anonymous"),
                options=[anonymous],
                initial_options=[anonymous] if current.anonymous else None,
            ),
            optional=True,
        ),
        _input("min_group_size", _text("min_group_size", str(current.min_group_size)), hint=True),
        _input("review_after_days", _text("review_after_days", str(current.review_after_days)), hint=True),
        _input(
            "outcomes_on_card",
            CheckboxesElement(
                action_id=action_id("outcomes_on_card"),
                options=[on_card],
                initial_options=[on_card] if current.outcomes_on_card else None,
            ),
            optional=True,
            hint=True,
        ),
    ]
    return modal(ids.VIEW_SETTINGS, "settings", blocks)


@dataclass(frozen=True)
class SettingsForm:
    settings: WorkspaceSettings
    errors: dict[str, str] = field(default_factory=dict)  # block id -> problem


def _state(view: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    state = view.get("state") if isinstance(view.get("state"), Mapping) else {}
    values = state.get("values") if isinstance(state, Mapping) else None
    block = values.get(block_id(name)) if isinstance(values, Mapping) else None
    element = block.get(action_id(name)) if isinstance(block, Mapping) else None
    return element if isinstance(element, Mapping) else {}


def _selected(view: Mapping[str, Any], name: str) -> str | None:
    option = _state(view, name).get("selected_option")
    value = option.get("value") if isinstance(option, Mapping) else None
    return str(value) if isinstance(value, str) else None


def parse_settings_submission(view: Mapping[str, Any], current: WorkspaceSettings) -> SettingsForm:
    """The submitted form as settings (unparseable fields keep their current value and get an error)."""
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}

    cadence = _selected(view, "cadence")
    if cadence in CADENCES:
        values["cadence"] = cadence
    hour = _selected(view, "open_hour")
    if hour is not None and hour.isdigit():
        values["open_hour"] = int(hour)
    cap = _selected(view, "max_reminders")
    if cap is not None and cap.isdigit():
        values["max_reminders"] = int(cap)
    for name in _NUMBER_FIELDS:
        raw = str(_state(view, name).get("value") or "").strip()
        if re.fullmatch(r"\d{1,6}", raw):
            values[name] = int(raw)
        else:
            errors[block_id(name)] = _t("not_a_number")

    raw_days = str(_state(view, "reminder_days").get("value") or "")
    parts = [p for p in re.split(r"[,;\s]+", raw_days) if p]
    if all(re.fullmatch(r"\d{1,3}", p) for p in parts):
        values["reminder_days"] = tuple(sorted({int(p) for p in parts}))
    else:
        errors[block_id("reminder_days")] = _t("not_days")

    quiet: list[date] = []
    for part in (p for p in re.split(r"[,;\s]+", str(_state(view, "quiet_days").get("value") or "")) if p):
        try:
            quiet.append(date.fromisoformat(part))
        except ValueError:
            errors[block_id("quiet_days")] = _t("not_dates", part)
            break
    values["quiet_days"] = tuple(sorted(set(quiet)))

    channel = _state(view, "summary_channel").get("selected_conversation")
    if _selected(view, "summary_to") == "channel":
        if isinstance(channel, str) and channel:
            values["summary_channel"] = channel
        else:
            errors[block_id("summary_channel")] = _t("need_channel")
    else:
        values["summary_channel"] = None

    chosen = _state(view, "anonymous").get("selected_options") or []
    values["anonymous"] = any(isinstance(o, Mapping) and o.get("value") == "anonymous" for o in chosen)
    chosen = _state(view, "outcomes_on_card").get("selected_options") or []
    values["outcomes_on_card"] = any(isinstance(o, Mapping) and o.get("value") == "outcomes_on_card" for o in chosen)

    wanted = dataclasses.replace(current, **values)
    for name, problem in validate(wanted).items():
        errors.setdefault(block_id(name), _t("problem", problem))
    return SettingsForm(wanted, errors)


def build_settings_saved(changes: Sequence[SettingsChangeInfo]) -> dict[str, Any]:
    return modal(ids.VIEW_SETTINGS, "settings", [mrkdwn_section(_t("saved", changes))], submit=False)


__all__ = [
    "FIELDS",
    "SettingsForm",
    "block_id",
    "build_settings_modal",
    "build_settings_saved",
    "parse_settings_submission",
]
