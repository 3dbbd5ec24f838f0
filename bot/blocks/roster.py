"""`/persona roster`: the modal that adds people by @mention, email, user group or channel; its parser; its
result view; and the roster section of an admin's Home. Words in `prompts/roster.j2`."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from slack_sdk.models.blocks import (
    Block,
    ConversationFilter,
    ConversationSelectElement,
    InputBlock,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    RadioButtonsElement,
    StaticSelectElement,
    UserMultiSelectElement,
)

from bot import ids
from bot.blocks.common import actions, button, context, divider, header, modal, mrkdwn_section
from bot.render import render_part
from bot.services.roster import LinkInfo
from persona_store.models import ROLES
from persona_store.roster import RosterHealth, RosterSummary
from persona_store.roster_file import is_email

PEOPLE_MAX = 50  # people in one submission; the CLI takes any number
FLAG_CHOICES = ("keep", "rep", "manager", "observer", "remove")
EMAILS_MAX = 10  # each is a users.lookupByEmail call before the 3-second acknowledgement
_GROUP_ID = re.compile(r"^(?:<!subteam\^)?(S[A-Z0-9]{2,})(?:\|[^>]*)?>?$")
_GROUP_HANDLE = re.compile(r"^@?([a-z0-9][a-z0-9._-]{0,79})$")


def _t(macro: str, *args: Any) -> str:
    return render_part("roster", macro, *args)


def _plain(text: str) -> PlainTextObject:
    return PlainTextObject(text=text)


@dataclass(frozen=True)
class RosterForm:
    """A submission, parsed; `errors` maps block ids to problems for `response_action: errors`."""

    people: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()
    group: str | None = None  # an S… id, or a handle to look up
    group_is_id: bool = False
    channel: str | None = None
    role: str | None = None
    manager: bool | None = None  # None: keep what the roster says (a newcomer is neither)
    observer: bool | None = None
    remove: bool = False
    errors: dict[str, str] = field(default_factory=dict)


def build_roster_modal(health: RosterHealth, links: Sequence[LinkInfo]) -> dict[str, Any]:
    role_options = [Option(text=_plain(_t("role_option", r)), value=r) for r in ROLES]
    flags = [Option(text=_plain(_t("flag_option", v)), value=v) for v in FLAG_CHOICES]
    blocks: list[Block] = [
        mrkdwn_section(_t("intro", health, links)),
        InputBlock(
            block_id=ids.ROSTER_BLOCK_PEOPLE,
            label=_plain(_t("people_label")),
            element=UserMultiSelectElement(action_id=ids.ROSTER_ACTION_PEOPLE, max_selected_items=PEOPLE_MAX),
            optional=True,
        ),
        InputBlock(
            block_id=ids.ROSTER_BLOCK_EMAILS,
            label=_plain(_t("emails_label")),
            element=PlainTextInputElement(action_id=ids.ROSTER_ACTION_EMAILS, multiline=True, max_length=3000),
            hint=_plain(_t("emails_hint")),
            optional=True,
        ),
        InputBlock(
            block_id=ids.ROSTER_BLOCK_GROUP,
            label=_plain(_t("group_label")),
            element=PlainTextInputElement(action_id=ids.ROSTER_ACTION_GROUP, max_length=100),
            hint=_plain(_t("group_hint")),
            optional=True,
        ),
        InputBlock(
            block_id=ids.ROSTER_BLOCK_CHANNEL,
            label=_plain(_t("channel_label")),
            element=ConversationSelectElement(
                action_id=ids.ROSTER_ACTION_CHANNEL,
                filter=ConversationFilter(include=["public", "private"], exclude_bot_users=True),
            ),
            optional=True,
        ),
        InputBlock(
            block_id=ids.ROSTER_BLOCK_ROLE,
            label=_plain(_t("role_label")),
            element=StaticSelectElement(action_id=ids.ROSTER_ACTION_ROLE, options=role_options),
            hint=_plain(_t("role_hint")),
            optional=True,
        ),
        InputBlock(
            block_id=ids.ROSTER_BLOCK_FLAGS,
            label=_plain(_t("flags_label")),
            element=RadioButtonsElement(action_id=ids.ROSTER_ACTION_FLAGS, options=flags, initial_option=flags[0]),
            optional=True,
        ),
    ]
    return modal(ids.VIEW_ROSTER, "roster", blocks)


def _value(values: Mapping[str, Any], block_id: str, action_id: str) -> Mapping[str, Any]:
    block = values.get(block_id)
    element = block.get(action_id) if isinstance(block, Mapping) else None
    return element if isinstance(element, Mapping) else {}


def parse_roster_submission(view: Mapping[str, Any]) -> RosterForm:
    """The submitted form, shape-checked (what Slack must be asked about is checked by the listener)."""
    state = view.get("state") if isinstance(view.get("state"), Mapping) else {}
    values = state.get("values") if isinstance(state, Mapping) and isinstance(state.get("values"), Mapping) else {}
    assert isinstance(values, Mapping)
    errors: dict[str, str] = {}

    raw_people = _value(values, ids.ROSTER_BLOCK_PEOPLE, ids.ROSTER_ACTION_PEOPLE).get("selected_users") or []
    people = tuple(
        dict.fromkeys(str(u) for u in raw_people if isinstance(u, str) and re.fullmatch(r"[UW][A-Z0-9]{2,31}", u))
    )

    raw_emails = str(_value(values, ids.ROSTER_BLOCK_EMAILS, ids.ROSTER_ACTION_EMAILS).get("value") or "")
    emails = tuple(dict.fromkeys(e.strip() for e in re.split(r"[,;\s]+", raw_emails) if e.strip()))
    bad = [e for e in emails if not is_email(e)]
    if bad:
        errors[ids.ROSTER_BLOCK_EMAILS] = _t("bad_emails", bad)
    if len(emails) > EMAILS_MAX:
        errors[ids.ROSTER_BLOCK_EMAILS] = _t("too_many", EMAILS_MAX)

    raw_group = " ".join(
        str(_value(values, ids.ROSTER_BLOCK_GROUP, ids.ROSTER_ACTION_GROUP).get("value") or "").split()
    )
    group: str | None = None
    group_is_id = False
    if raw_group:
        by_id, by_handle = _GROUP_ID.match(raw_group), _GROUP_HANDLE.match(raw_group.lower())
        if by_id:
            group, group_is_id = by_id.group(1), True
        elif by_handle:
            group = by_handle.group(1)
        else:
            errors[ids.ROSTER_BLOCK_GROUP] = _t("unknown_group", raw_group)

    channel_value = _value(values, ids.ROSTER_BLOCK_CHANNEL, ids.ROSTER_ACTION_CHANNEL).get("selected_conversation")
    channel = (
        str(channel_value)
        if isinstance(channel_value, str) and re.fullmatch(r"[CG][A-Z0-9]{2,31}", channel_value)
        else None
    )

    option = _value(values, ids.ROSTER_BLOCK_ROLE, ids.ROSTER_ACTION_ROLE).get("selected_option")
    role = option.get("value") if isinstance(option, Mapping) else None
    role = role if role in ROLES else None

    chosen = _value(values, ids.ROSTER_BLOCK_FLAGS, ids.ROSTER_ACTION_FLAGS).get("selected_option")
    choice = chosen.get("value") if isinstance(chosen, Mapping) else None
    choice = choice if choice in FLAG_CHOICES else "keep"
    remove = choice == "remove"

    if not (people or emails or raw_group or channel):
        errors.setdefault(ids.ROSTER_BLOCK_PEOPLE, _t("need_someone"))
    if (group or channel) and not remove and role is None:
        errors[ids.ROSTER_BLOCK_ROLE] = _t("need_role")
    return RosterForm(
        people=people,
        emails=emails,
        group=group,
        group_is_id=group_is_id,
        channel=channel,
        role=role,
        manager=None if choice in ("keep", "remove") else choice == "manager",
        observer=None if choice in ("keep", "remove") else choice == "observer",
        remove=remove,
        errors=errors,
    )


def build_roster_done(
    summary: RosterSummary, removed: bool, linked: Sequence[LinkInfo], unlinked: Sequence[LinkInfo] = ()
) -> dict[str, Any]:
    """The modal after saving (`response_action: update`)."""
    done = mrkdwn_section(_t("done", summary, removed, linked, unlinked))
    return modal(ids.VIEW_ROSTER, "roster", [done], submit=False)


def build_roster_home(health: RosterHealth) -> list[Block]:
    """The roster section of an admin's Home tab (at most five blocks)."""
    buttons = actions(
        [
            button(_t("manage_button"), ids.ACTION_HOME_ROSTER, "roster"),
            button(_t("settings_button"), ids.ACTION_HOME_SETTINGS, "settings"),
        ],
        block_id=ids.BLOCK_HOME_ROSTER_ACTIONS,
    )
    if health.active == 0 and health.inactive == 0:
        return [divider(), header(_t("home_header")), context(_t("home_empty")), buttons]
    return [
        divider(),
        header(_t("home_header")),
        mrkdwn_section(_t("counts", health)),
        mrkdwn_section(_t("home_problems", health)),
        buttons,
    ]


__all__ = [
    "PEOPLE_MAX",
    "RosterForm",
    "build_roster_done",
    "build_roster_home",
    "build_roster_modal",
    "parse_roster_submission",
]
