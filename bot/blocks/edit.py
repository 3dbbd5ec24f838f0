"""The persona edit modal: build it from an EditForm, parse a submission back, and map problems to its inputs.

Lists are one item per line. A text input holds at most 3,000 characters, so a long list is spread over several
inputs ("Goals", "Goals (continued, 2)", …), each filled to leave room for new lines.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from slack_sdk.models.blocks import (
    Block,
    CheckboxesElement,
    InputBlock,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    RadioButtonsElement,
    UserSelectElement,
)
from slack_sdk.models.views import View

from bot import ids
from bot.blocks.common import Message, actions, button, mrkdwn_section, to_dicts
from bot.render import render_part
from bot.services.personas_admin import NOTE_MAX, EditForm, EditOpen, EditSubmission, Outcome
from bot.slack.limits import MAX_BLOCKS, TEXT_INPUT_MAX
from bot.untrusted import parse_count, parse_id, seal, unseal
from persona_store.files import NAME_MAX, ROLE_MAX, STATUSES, SUMMARY_MAX
from persona_store.models import ROLES
from persona_store.persona_spec import LIST_FIELDS

PART_BUDGET = 2400  # characters prefilled per list input, leaving room to add lines
_FIXED_BLOCKS = 8  # intro, name, role, summary, owner, status, team roles, note


class TooLargeForModal(ValueError):
    """The persona's lists need more inputs than a modal can hold."""


def block_id(field: str, part: int = 1) -> str:
    return f"{ids.EDIT_BLOCK_PREFIX}{field}" if part == 1 else f"{ids.EDIT_BLOCK_PREFIX}{field}_{part}"


def action_id(field: str, part: int = 1) -> str:
    return block_id(field, part) + "_input"


def split_list(items: tuple[str, ...] | list[str]) -> list[str]:
    """Items as the text of one or more inputs, one item per line, each input within PART_BUDGET."""
    parts: list[str] = []
    current: list[str] = []
    size = 0
    for item in items:
        extra = len(item) + (1 if current else 0)
        if current and size + extra > PART_BUDGET:
            parts.append("\n".join(current))
            current, size = [], 0
            extra = len(item)
        current.append(item)
        size += extra
    parts.append("\n".join(current))
    return parts


def _text_input(
    field: str,
    part: int,
    initial: str,
    *,
    max_length: int,
    optional: bool = True,
    multiline: bool = False,
    hint: str | None = None,
) -> InputBlock:
    element = PlainTextInputElement(
        action_id=action_id(field, part),
        initial_value=initial or None,
        multiline=multiline,
        max_length=min(max_length, TEXT_INPUT_MAX),
    )
    return InputBlock(
        block_id=block_id(field, part),
        label=PlainTextObject(text=render_part("edit", "label", field, part)),
        element=element,
        optional=optional,
        hint=PlainTextObject(text=hint) if hint else None,
    )


def _option(text: str, value: str) -> Option:
    return Option(text=PlainTextObject(text=text), value=value)


def build_edit_modal(form: EditForm) -> dict[str, Any]:
    """The modal for `form`; raises TooLargeForModal when its lists cannot fit in Slack's 100 blocks."""
    spec = form.spec
    is_new = form.persona_id is None
    list_parts = {name: split_list(getattr(spec, name)) for name in LIST_FIELDS}
    if _FIXED_BLOCKS + sum(len(parts) for parts in list_parts.values()) > MAX_BLOCKS["modal"]:
        raise TooLargeForModal(spec.name)

    blocks: list[Block] = [mrkdwn_section(render_part("edit", "intro", form))]
    blocks.append(_text_input("name", 1, spec.name, max_length=NAME_MAX, optional=False))
    blocks.append(_text_input("role", 1, spec.role, max_length=ROLE_MAX))
    blocks.append(_text_input("summary", 1, spec.summary, max_length=SUMMARY_MAX, multiline=True))
    for name in LIST_FIELDS:
        for part, text in enumerate(list_parts[name], start=1):
            hint = render_part("edit", "list_hint", name) if part == 1 else None
            blocks.append(_text_input(name, part, text, max_length=TEXT_INPUT_MAX, multiline=True, hint=hint))
    blocks.append(
        InputBlock(
            block_id=block_id("owner"),
            label=PlainTextObject(text=render_part("edit", "label", "owner", 1)),
            element=UserSelectElement(action_id=action_id("owner"), initial_user=spec.owner or None),
            optional=True,
        )
    )
    statuses = [_option(render_part("edit", "status_option", s), s) for s in STATUSES]
    blocks.append(
        InputBlock(
            block_id=block_id("status"),
            label=PlainTextObject(text=render_part("edit", "label", "status", 1)),
            element=RadioButtonsElement(
                action_id=action_id("status"),
                options=statuses,
                initial_option=next(o for o in statuses if o.value == spec.status),
            ),
        )
    )
    roles = [_option(render_part("edit", "role_option", r), r) for r in ROLES]
    chosen = [o for o in roles if o.value in spec.team_roles]
    blocks.append(
        InputBlock(
            block_id=block_id("team_roles"),
            label=PlainTextObject(text=render_part("edit", "label", "team_roles", 1)),
            element=CheckboxesElement(action_id=action_id("team_roles"), options=roles, initial_options=chosen or None),
            optional=True,
            hint=PlainTextObject(text=render_part("edit", "team_roles_hint")),
        )
    )
    blocks.append(
        _text_input(
            "note",
            1,
            "Created" if is_new else (render_part("edit", "draft_note", form.draft) if form.draft else ""),
            max_length=NOTE_MAX,
            optional=False,
            hint=render_part("edit", "note_hint", is_new),
        )
    )
    # Sealed: which persona, which revision, which review cycle. Never a message to update (the ledger knows it).
    metadata: dict[str, Any] = {"p": form.persona_id, "r": form.revision_number, "v": form.review_cycle}
    if form.draft is not None:
        metadata["d"] = form.draft.key
    view = View(
        type="modal",
        callback_id=ids.VIEW_EDIT_PERSONA,
        title=PlainTextObject(text=render_part("edit", "title", is_new)),
        submit=PlainTextObject(text="Save"),
        close=PlainTextObject(text="Cancel"),
        blocks=blocks,
        private_metadata=seal(ids.VIEW_EDIT_PERSONA, metadata),
    )
    return view.to_dict()


def parse_edit_submission(view: Mapping[str, Any]) -> EditSubmission | None:
    """The submitted form (values as typed), or None when its metadata is not what this app wrote.

    Nothing here is trusted beyond that: the service re-checks who may save, the persona's revision and review
    cycle, and validates every value.
    """
    state_raw = (view.get("state") or {}).get("values") or {}
    state: Mapping[str, Any] = state_raw if isinstance(state_raw, Mapping) else {}
    meta = unseal(ids.VIEW_EDIT_PERSONA, view.get("private_metadata"))
    if meta is None:
        return None

    def element(field: str, part: int = 1) -> Mapping[str, Any] | None:
        inputs = state.get(block_id(field, part))
        found = inputs.get(action_id(field, part)) if isinstance(inputs, Mapping) else None
        return found if isinstance(found, Mapping) else None

    def text(field: str) -> str:
        found = element(field)
        value = found.get("value") if found else None
        return value if isinstance(value, str) else ""

    values: dict[str, Any] = {"name": text("name"), "role": text("role"), "summary": text("summary")}
    for name in LIST_FIELDS:
        lines: list[str] = []
        part = 1
        while block_id(name, part) in state:
            found = element(name, part)
            value = found.get("value") if found else None
            if isinstance(value, str):
                lines.extend(line.strip() for line in value.splitlines())
            part += 1
        values[name] = [line for line in lines if line]
    owner = element("owner")
    values["owner"] = (owner or {}).get("selected_user") or None
    status = (element("status") or {}).get("selected_option") or {}
    values["status"] = status.get("value") if isinstance(status, Mapping) else None
    roles = (element("team_roles") or {}).get("selected_options") or []
    values["team_roles"] = [o.get("value") for o in roles if isinstance(o, Mapping)]

    return EditSubmission(
        persona_id=parse_id(meta.get("p")),
        revision_number=parse_count(meta.get("r"), 2**31 - 1) or 0,
        values=values,
        note=text("note"),
        review_cycle=parse_count(meta.get("v")),
        draft_key=_draft_key(meta.get("d")),
    )


def _draft_key(value: Any) -> str | None:
    return value if isinstance(value, str) and re.fullmatch(r"[0-9a-f]{32}", value) else None


def edit_errors(errors: Mapping[str, str]) -> dict[str, str]:
    """Service problems by field -> Slack's `response_action: errors` by block id (unknown fields: the note)."""
    known = {"name", "role", "summary", "owner", "status", "team_roles", "note", *LIST_FIELDS}
    out: dict[str, str] = {}
    for field, message in errors.items():
        target = block_id(field if field in known else ("name" if field == "key" else "note"))
        out[target] = f"{out[target]} {message}" if target in out else message
    return out


PICK_LIMIT = 5  # personas offered as Edit buttons


def build_edit_view(opened: EditOpen) -> dict[str, Any] | Message:
    """The edit modal to open, or the message that says why not."""
    if opened.outcome is not Outcome.FORM or opened.form is None:
        return _edit_refusal(opened)
    try:
        return build_edit_modal(opened.form)
    except TooLargeForModal:
        return _message("too_large", "too_large", opened.form.spec.name)


def _edit_refusal(opened: EditOpen) -> Message:
    if opened.outcome is Outcome.NOT_ALLOWED:
        return _message("not_allowed", "not_allowed", opened.candidates[0].name if opened.candidates else "")
    if opened.outcome is Outcome.NEED_NAME:
        return _message("need_name", "need_name", "edit")
    if opened.outcome is Outcome.PICK or opened.candidates:
        macro = "pick" if opened.outcome is Outcome.PICK else "no_match"
        blocks: list[Block] = [mrkdwn_section(render_part("edit", macro, opened.query))]
        if opened.candidates:
            choices = [
                button(render_part("fallbacks", "edit_button", p.name), ids.ACTION_EDIT_PICK, str(p.id))
                for p in opened.candidates
            ]
            blocks.append(actions(choices[:PICK_LIMIT]))
        return Message(to_dicts(blocks), render_part("fallbacks", "need_name"))
    return _message("no_match", "no_match", opened.query)


def _message(macro: str, fallback: str, *args: Any) -> Message:
    return Message(to_dicts([mrkdwn_section(render_part("edit", macro, *args))]), render_part("fallbacks", fallback))


__all__ = [
    "TooLargeForModal",
    "action_id",
    "block_id",
    "build_edit_modal",
    "build_edit_view",
    "edit_errors",
    "parse_edit_submission",
    "split_list",
]
