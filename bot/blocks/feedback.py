"""The feedback modal: composable question blocks, the whole modal, its parser, and the private confirmation.

For the check-in modal (or any other form that asks the same questions about one or more personas):

    blocks = build_feedback_question_blocks(card, prefill, block_prefix=f"p{card.id}_", default_role="sales")
    ...                                            # your own blocks around them; keep the total within 100
    result = parse_feedback_answers(view["state"]["values"], card, block_prefix=f"p{card.id}_")
    if isinstance(result, FormErrors):
        ack(response_action="errors", errors=result)  # block_id -> message, prefix included
    else:
        record_feedback(..., result, submission_key=checkin_submission_key(...), source="checkin", replace=True)

Every word comes from `prompts/feedback.j2`. Attribute checks use one optional `static_select` per statement
(compact in Slack, four options each); option values are short codes and the block id carries the persona id,
its revision and the statement's position, so answers map back to the exact statements the person saw, and Slack
does not carry a selection over to another persona's statement when the view is updated.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import urlsplit

from slack_sdk.models.blocks import (
    Block,
    ButtonElement,
    ConfirmObject,
    InputBlock,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    RadioButtonsElement,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from bot import ids
from bot.blocks.common import actions, button, context, mrkdwn_section, to_dicts
from bot.render import clean_plain, render_part, truncate
from bot.services.feedback import FeedbackForm, FeedbackReceipt, PersonaChoice
from bot.services.lookup import PersonaCard
from bot.slack.limits import INPUT_LABEL_MAX, OPTION_TEXT_MAX, SELECT_OPTIONS_MAX, TEXT_INPUT_MAX
from bot.untrusted import parse_count, parse_id, seal, unseal
from persona_store.feedback import FeedbackAnswers
from persona_store.models import FEEDBACK_ROLES, JOURNEY_STAGES, VERDICTS

__all__ = [
    "MAX_ATTRIBUTE_QUESTIONS",
    "FeedbackModalMeta",
    "FormErrors",
    "attribute_block_id",
    "build_confirmation",
    "build_feedback_modal",
    "build_feedback_question_blocks",
    "build_privacy_notice",
    "confirmation_fallback",
    "feedback_attributes",
    "parse_feedback_answers",
    "read_feedback_draft",
    "selected_persona_id",
    "view_values",
]

TEMPLATE = "feedback"
# A modal holds 100 blocks; the other questions, headings and notices take at most 20 of them.
MAX_ATTRIBUTE_QUESTIONS = 80
# A static_select holds 100 options. Workspaces have a few dozen personas; past 100 this becomes an
# external_select fed by an options listener (the first 100 by name are offered until then).
FIT_VALUES = ("5", "4", "3", "2", "1", "not_met")
KIND_FIELDS = (("goal", "goals"), ("pain_point", "pain_points"), ("objection", "objections"))
# The free-text answers, in the order the form asks them: (FeedbackAnswers field, block id, action id, words in
# feedback.j2 as `<name>_label` and `<name>_placeholder`, multiline).
TEXT_FIELDS = (
    ("missing_text", ids.BLOCK_FEEDBACK_MISSING, ids.ACTION_FEEDBACK_MISSING, "missing", True),
    ("objections_text", ids.BLOCK_FEEDBACK_OBJECTIONS, ids.ACTION_FEEDBACK_OBJECTIONS, "objections", True),
    ("evidence_message", ids.BLOCK_FEEDBACK_QUOTE, ids.ACTION_FEEDBACK_QUOTE, "quote", True),
    ("evidence_ref", ids.BLOCK_FEEDBACK_EVIDENCE, ids.ACTION_FEEDBACK_EVIDENCE, "evidence", False),
)
_HOST = re.compile(r"^[A-Za-z0-9.-]+(:\d{1,5})?$")


class FormErrors(dict[str, str]):
    """Inline errors for `response_action: errors`: block_id -> message (block prefix included)."""


@dataclass(frozen=True)
class FeedbackModalMeta:
    """What the modal carries in `private_metadata` (JSON, well under 3,000 characters).

    `key`: a UUID made when the modal opens, so a double submit or a retry of this view maps to one record.
    `persona_id`: the persona whose statements the modal shows. `channel_id`: where the person started (for the
    confirmation). `feedback_id`: set when editing. `permalink`/`quote_cut`: the message a shortcut started from.
    """

    key: str
    source: str = "adhoc"
    persona_id: int | None = None
    channel_id: str | None = None
    feedback_id: int | None = None
    permalink: str = ""
    quote_cut: bool = False

    def to_json(self) -> str:
        """Sealed (`bot.untrusted.seal`): a member can't send back an id or a channel the app didn't write."""
        return seal(ids.VIEW_FEEDBACK, asdict(self))

    @classmethod
    def from_json(cls, raw: str | None) -> FeedbackModalMeta | None:
        """The metadata back from a view, or None when it was not written by this app or was altered."""
        data = unseal(ids.VIEW_FEEDBACK, raw)
        if data is None:
            return None
        try:
            meta = cls(
                key=str(data["key"]),
                source=str(data.get("source") or "adhoc"),
                persona_id=_int_or_none(data.get("persona_id")),
                channel_id=_channel_or_none(data.get("channel_id")),
                feedback_id=_int_or_none(data.get("feedback_id")),
                permalink=_permalink(data.get("permalink")),
                quote_cut=bool(data.get("quote_cut")),
            )
        except (ValueError, TypeError, KeyError, AttributeError):
            return None
        return meta if meta.source in ("adhoc", "shortcut") else None


def _int_or_none(value: Any) -> int | None:
    if value is None:
        return None
    found = parse_id(value) if isinstance(value, int) else None
    if found is None:
        raise ValueError("not an id")
    return found


def _channel_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) and re.fullmatch(r"[CGD][A-Z0-9]{2,30}", value) else None


def _permalink(value: Any) -> str:
    # Only what chat.getPermalink gives: an https address without spaces or Slack's link syntax.
    if isinstance(value, str) and re.fullmatch(r"https://[^\s<>|]{1,500}", value):
        return value
    return ""


def _t(macro: str, *args: Any) -> str:
    return render_part(TEMPLATE, macro, *args)


def _plain(text: str, limit: int) -> PlainTextObject:
    return PlainTextObject(text=truncate(clean_plain(text) or "…", limit), emoji=True)


def _option(value: str, label: str) -> Option:
    return Option(value=value, text=truncate(clean_plain(label), OPTION_TEXT_MAX))


def _choice_input(
    block_id: str,
    action_id: str,
    label: str,
    options: list[Option],
    chosen: str | None,
    *,
    optional: bool = False,
    hint: str = "",
    radio: bool = False,
    placeholder: str = "",
    dispatch_action: bool = False,
) -> InputBlock:
    """An input block with a static select (or radio buttons), its chosen value pre-selected."""
    initial = next((o for o in options if chosen is not None and o.value == chosen), None)
    element: RadioButtonsElement | StaticSelectElement
    if radio:
        element = RadioButtonsElement(action_id=action_id, options=options, initial_option=initial)
    else:
        element = StaticSelectElement(
            action_id=action_id, placeholder=_plain(placeholder or label, 150), options=options, initial_option=initial
        )
    return InputBlock(
        block_id=block_id,
        label=_plain(label, INPUT_LABEL_MAX),
        optional=optional,
        hint=_plain(hint, INPUT_LABEL_MAX) if hint else None,
        dispatch_action=dispatch_action or None,
        element=element,
    )


def feedback_attributes(persona: PersonaCard) -> list[tuple[str, str]]:
    """The persona's checkable statements (kind, text) in the order the store numbers them."""
    return [(kind, str(text)) for kind, attr in KIND_FIELDS for text in getattr(persona, attr)]


def attribute_block_id(persona: PersonaCard, position: int, block_prefix: str = "") -> str:
    return f"{block_prefix}{ids.BLOCK_FEEDBACK_ATTRIBUTE}.{persona.id}.{persona.revision_number}.{position}"


def _text_input(
    block_id: str, action_id: str, label: str, *, initial: str, placeholder: str, multiline: bool, hint: str = ""
) -> InputBlock:
    return InputBlock(
        block_id=block_id,
        label=_plain(label, INPUT_LABEL_MAX),
        optional=True,
        hint=_plain(hint, INPUT_LABEL_MAX) if hint else None,
        element=PlainTextInputElement(
            action_id=action_id,
            multiline=multiline,
            max_length=TEXT_INPUT_MAX,
            initial_value=initial[:TEXT_INPUT_MAX] or None,
            placeholder=_plain(placeholder, 150) if placeholder else None,
        ),
    )


def build_feedback_question_blocks(
    persona: PersonaCard | None,
    prefill: FeedbackAnswers | None,
    *,
    block_prefix: str = "",
    default_role: str | None = None,
    with_quote: bool | None = None,
    quote_cut: bool = False,
    max_attributes: int = MAX_ATTRIBUTE_QUESTIONS,
    with_role: bool = True,
    positions: Sequence[int] | None = None,
    light: bool = False,
) -> list[Block]:
    """Every feedback question about one persona, except the persona select.

    Role (pre-filled from `prefill.role`, else `default_role`), fit (1–5 or "haven't met"), one optional verdict
    per goal, pain point and objection (up to `max_attributes`; a note says how many more were left out), what's
    missing, objections heard, the message quote (shown when `with_quote`, by default when the prefill has one),
    an evidence reference and the journey stage. `persona=None` leaves out the statements (nobody chose yet).
    All block ids start with `block_prefix`, so several personas can share one view. At most
    `max_attributes + 12` blocks come back.

    The check-in's lighter page: `with_role=False` leaves the role out (asked once per round), `positions` asks
    only those statements, and `light=True` asks nothing after them but what's missing.
    """
    p = block_prefix
    blocks: list[Block] = []
    role = (prefill.role if prefill else None) or default_role
    if with_role:
        blocks.append(
            _choice_input(
                p + ids.BLOCK_FEEDBACK_ROLE,
                ids.ACTION_FEEDBACK_ROLE,
                _t("role_label"),
                [_option(r, _t("role_option", r)) for r in FEEDBACK_ROLES],
                role,
                hint=_t("role_hint"),
            )
        )
    fit_value = None
    if prefill is not None:
        fit_value = "not_met" if prefill.not_met else (str(prefill.fit) if prefill.fit else None)
    blocks.append(
        _choice_input(
            p + ids.BLOCK_FEEDBACK_FIT,
            ids.ACTION_FEEDBACK_FIT,
            _t("fit_label"),
            [_option(v, _t("fit_option", v)) for v in FIT_VALUES],
            fit_value,
            hint=_t("fit_hint"),
            radio=True,
        )
    )
    if persona is None:
        blocks.append(context(_t("pick_persona_first")))
    else:
        blocks.extend(_attribute_blocks(persona, prefill, p, max_attributes, positions))
    if light:
        blocks.append(_missing_input(p, prefill))
        return blocks
    show_quote = with_quote if with_quote is not None else bool(prefill and prefill.evidence_message)
    hints = {"quote": _t("quote_hint", quote_cut), "evidence": _t("evidence_hint")}
    for field, block_id, action_id, words, multiline in TEXT_FIELDS:
        if block_id == ids.BLOCK_FEEDBACK_QUOTE and not show_quote:
            continue
        blocks.append(
            _text_input(
                p + block_id,
                action_id,
                _t(f"{words}_label"),
                initial=getattr(prefill, field) if prefill else "",
                placeholder=_t(f"{words}_placeholder"),
                multiline=multiline,
                hint=hints.get(words, ""),
            )
        )
    blocks.append(
        _choice_input(
            p + ids.BLOCK_FEEDBACK_JOURNEY,
            ids.ACTION_FEEDBACK_JOURNEY,
            _t("journey_label"),
            [_option(stage, _t("journey_option", stage)) for stage in JOURNEY_STAGES],
            prefill.journey_stage if prefill else None,
            optional=True,
            placeholder=_t("journey_placeholder"),
        )
    )
    return blocks


def _missing_input(p: str, prefill: FeedbackAnswers | None) -> InputBlock:
    field, block_id, action_id, words, multiline = TEXT_FIELDS[0]
    return _text_input(
        p + block_id,
        action_id,
        _t(f"{words}_label"),
        initial=getattr(prefill, field) if prefill else "",
        placeholder=_t(f"{words}_placeholder"),
        multiline=multiline,
    )


def _attribute_blocks(
    persona: PersonaCard, prefill: FeedbackAnswers | None, p: str, limit: int, positions: Sequence[int] | None = None
) -> list[Block]:
    attributes = feedback_attributes(persona)
    if not attributes:
        return []
    chosen = set(range(len(attributes))) if positions is None else set(positions)
    # Verdicts given against another revision point at other statements: don't pre-fill those.
    verdicts = prefill.verdicts if prefill and prefill.revision_number == persona.revision_number else {}
    verdict_options = [_option(v, _t("verdict_option", v)) for v in VERDICTS]
    blocks: list[Block] = [mrkdwn_section(_t("attributes_intro", persona.name))]
    previous_kind = None
    # asked by position (the check-in's chosen few): any of them, however far down the list
    shown = attributes if positions is not None else attributes[:limit]
    for position, (kind, text) in enumerate(shown):
        if position not in chosen:
            continue
        if kind != previous_kind:
            blocks.append(context(_t("kind_heading", kind)))
            previous_kind = kind
        blocks.append(
            _choice_input(
                attribute_block_id(persona, position, p),
                ids.ACTION_FEEDBACK_VERDICT,
                text,
                verdict_options,
                verdicts.get(position),
                optional=True,
                placeholder=_t("verdict_placeholder"),
            )
        )
    if len(attributes) > limit and positions is None:
        blocks.append(context(_t("attributes_not_shown", len(attributes) - limit)))
    return blocks


def build_privacy_notice(anonymous: bool) -> Block:
    """Who will see the answers (Settings.anonymous_ratings decides)."""
    return context(_t("privacy", anonymous))


def _persona_select(personas: tuple[PersonaChoice, ...], chosen: PersonaCard | None) -> InputBlock:
    offered = list(personas[:SELECT_OPTIONS_MAX])
    if chosen is not None and all(c.id != chosen.id for c in offered):
        offered[-1:] = [PersonaChoice(chosen.id, chosen.name)]
    return _choice_input(
        ids.BLOCK_FEEDBACK_PERSONA,
        ids.ACTION_FEEDBACK_PERSONA,
        _t("persona_label"),
        [_option(str(c.id), c.name) for c in offered],
        str(chosen.id) if chosen is not None else None,
        placeholder=_t("persona_placeholder"),
        dispatch_action=True,  # a change re-draws the statements for the chosen persona
    )


def build_feedback_modal(
    form: FeedbackForm, meta: FeedbackModalMeta, *, prefill: FeedbackAnswers | None = None
) -> dict[str, Any]:
    """The whole feedback modal (a `views.open` / `views.update` / `response_action: update` view).

    `prefill` overrides `form.prefill` (answers carried over when the person switches persona).
    """
    prefill = prefill or form.prefill
    persona = form.persona
    blocks: list[Block] = [context(_t("intro", persona.name if persona else "", meta.source))]
    if form.query_missed:
        blocks.append(context(_t("not_found", form.query_missed)))
    blocks.append(build_privacy_notice(form.anonymous))
    blocks.append(_persona_select(form.personas, persona))
    blocks.extend(
        build_feedback_question_blocks(
            persona,
            prefill,
            default_role=form.role,
            with_quote=meta.source == "shortcut" or bool(prefill and prefill.evidence_message),
            quote_cut=meta.quote_cut,
        )
    )
    view = View(
        type="modal",
        callback_id=ids.VIEW_FEEDBACK,
        title=_plain(_t("title"), 24),
        submit=_plain(_t("submit"), 24),
        close=_plain(_t("close"), 24),
        private_metadata=meta.to_json(),
        blocks=blocks,
    )
    return view.to_dict()


# --- parsing ---------------------------------------------------------------------------------------------------


def view_values(view: dict[str, Any]) -> dict[str, Any]:
    """A view's answers so far: its `state.values` over the initial values it was drawn with.

    Slack may leave inputs nobody touched out of a block action's state; a re-drawn view must still keep them.
    """
    values: dict[str, Any] = {}
    for block in view.get("blocks") or []:
        element = block.get("element") or {}
        block_id, action_id = block.get("block_id"), element.get("action_id")
        if block.get("type") != "input" or not block_id or not action_id:
            continue
        if element.get("initial_value") is not None:
            values[block_id] = {action_id: {"type": element.get("type"), "value": element["initial_value"]}}
        elif element.get("initial_option") is not None:
            values[block_id] = {action_id: {"type": element.get("type"), "selected_option": element["initial_option"]}}
    for block_id, state in ((view.get("state") or {}).get("values") or {}).items():
        values.setdefault(block_id, {}).update(state)
    return values


def selected_persona_id(state_values: dict[str, Any]) -> int | None:
    """The persona chosen in the modal's persona select, if any."""
    option = (state_values.get(ids.BLOCK_FEEDBACK_PERSONA, {}).get(ids.ACTION_FEEDBACK_PERSONA) or {}).get(
        "selected_option"
    ) or {}
    return parse_id(option.get("value")) if isinstance(option, dict) else None


def _selected(state_values: dict[str, Any], block_id: str, action_id: str) -> str | None:
    option = (state_values.get(block_id, {}).get(action_id) or {}).get("selected_option") or {}
    value = option.get("value")
    return str(value) if value is not None else None


def _typed(state_values: dict[str, Any], block_id: str, action_id: str) -> str:
    value = (state_values.get(block_id, {}).get(action_id) or {}).get("value")
    text = str(value) if value is not None else ""
    # PostgreSQL text can't hold NUL (and no Slack client types one): keep a visible mark in its place.
    return text.replace("\x00", "\ufffd") if text.strip() else ""


# Anything written like a link: scheme://…, or http(s) with the slashes or colon mangled. Quotes, brackets and `|`
# end it, so a link inside a formula, a sentence or Slack's <url|label> is checked on its own.
_LINKISH = re.compile(r"""[^\s"'<>()\[\]|]*://[^\s"'<>()\[\]|]*|\bhttps?:(?!//)\S*|\bhttps?//\S*""", re.IGNORECASE)


def malformed_links(text: str) -> list[str]:
    """The link-like pieces of `text` that are not complete http(s) web addresses."""
    return [candidate for candidate in _LINKISH.findall(text) if not _valid_url(candidate)]


def _valid_url(candidate: str) -> bool:
    try:
        parts = urlsplit(candidate)
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(_HOST.match(parts.netloc))


def _read(
    state_values: dict[str, Any], persona: PersonaCard, p: str, known_role: str | None = None
) -> tuple[FeedbackAnswers, FormErrors]:
    errors = FormErrors()
    role = _selected(state_values, p + ids.BLOCK_FEEDBACK_ROLE, ids.ACTION_FEEDBACK_ROLE)
    if role is None and known_role is not None and p + ids.BLOCK_FEEDBACK_ROLE not in state_values:
        role = known_role  # a page that doesn't ask the role: the one the server holds for this person
    if role is None:
        errors[p + ids.BLOCK_FEEDBACK_ROLE] = _t("error_required", "choose your role")
    elif role not in FEEDBACK_ROLES:
        errors[p + ids.BLOCK_FEEDBACK_ROLE] = _t("error_invalid")
    fit_value = _selected(state_values, p + ids.BLOCK_FEEDBACK_FIT, ids.ACTION_FEEDBACK_FIT)
    if fit_value is None:
        errors[p + ids.BLOCK_FEEDBACK_FIT] = _t("error_required", "say how well this persona fits")
    elif fit_value not in FIT_VALUES:
        errors[p + ids.BLOCK_FEEDBACK_FIT] = _t("error_invalid")

    verdicts: dict[int, str] = {}
    revisions: set[int] = set()
    attribute_prefix = f"{p}{ids.BLOCK_FEEDBACK_ATTRIBUTE}.{persona.id}."
    for block_id, actions_state in state_values.items():
        if not block_id.startswith(attribute_prefix):
            continue
        revision_part, _, position_part = block_id[len(attribute_prefix) :].partition(".")
        revision, position = parse_count(revision_part, 2**31 - 1), parse_count(position_part, 10_000)
        if revision is None or position is None:
            continue
        revisions.add(revision)
        verdict = ((actions_state.get(ids.ACTION_FEEDBACK_VERDICT) or {}).get("selected_option") or {}).get("value")
        if verdict is None:
            continue
        if verdict in VERDICTS:
            verdicts[position] = str(verdict)
        else:
            errors[block_id] = _t("error_invalid")
    if len(revisions) > 1:
        errors[p + ids.BLOCK_FEEDBACK_FIT] = _t("error_invalid")

    texts: dict[str, str] = {}
    for name, block, action, _words, _multiline in TEXT_FIELDS:
        texts[name] = _typed(state_values, p + block, action)
        if len(texts[name]) > TEXT_INPUT_MAX:
            errors[p + block] = _t("error_too_long", TEXT_INPUT_MAX)
    if malformed_links(texts["evidence_ref"]):
        errors.setdefault(p + ids.BLOCK_FEEDBACK_EVIDENCE, _t("error_url"))

    stage = _selected(state_values, p + ids.BLOCK_FEEDBACK_JOURNEY, ids.ACTION_FEEDBACK_JOURNEY)
    if stage is not None and stage not in JOURNEY_STAGES:
        errors[p + ids.BLOCK_FEEDBACK_JOURNEY] = _t("error_invalid")

    answers = FeedbackAnswers(
        persona_id=persona.id,
        revision_number=min(revisions) if revisions else persona.revision_number,
        role=role if role in FEEDBACK_ROLES else "",
        fit=int(fit_value) if fit_value and fit_value.isdigit() else None,
        not_met=fit_value == "not_met",
        verdicts=verdicts,
        journey_stage=stage if stage in JOURNEY_STAGES else None,
        **texts,
    )
    return answers, errors


def parse_feedback_answers(
    state_values: dict[str, Any], persona: PersonaCard, *, block_prefix: str = "", role: str | None = None
) -> FeedbackAnswers | FormErrors:
    """The answers about `persona` in a submitted view's `state.values`, or inline errors (block_id -> message).

    Reads the blocks `build_feedback_question_blocks` made with the same `block_prefix`. Verdicts keep the
    revision the statements were drawn from (it is in their block ids). Required: role and fit. Refused: texts over
    3,000 characters, a malformed link in the evidence, options the form never offered.
    `evidence_permalink` is never in the state: the caller adds it (e.g. from private_metadata). `role`: the
    person's role when the form did not ask it (the check-in asks it once per round).
    """
    answers, errors = _read(state_values, persona, block_prefix, role)
    return errors if errors else answers


def read_feedback_draft(
    state_values: dict[str, Any], persona: PersonaCard, *, block_prefix: str = ""
) -> FeedbackAnswers:
    """Whatever has been answered so far, errors ignored (to carry answers over when the view is re-drawn)."""
    return _read(state_values, persona, block_prefix)[0]


# --- the private confirmation ----------------------------------------------------------------------------------


def build_confirmation(receipt: FeedbackReceipt) -> list[dict[str, Any]]:
    """What the person sees after saving: a summary of what was recorded, with Edit and Delete (and how the
    workspace shows ratings to managers, `receipt.anonymous`)."""
    delete = button(_t("delete_button"), ids.ACTION_FEEDBACK_DELETE, str(receipt.id), style="danger")
    delete.confirm = ConfirmObject(
        title=_t("delete_confirm_title"),
        text=_t("delete_confirm_text"),
        confirm=_t("delete_confirm_yes"),
        deny=_t("delete_confirm_no"),
        style="danger",
    )
    edit: ButtonElement = button(_t("edit_button"), ids.ACTION_FEEDBACK_EDIT, str(receipt.id))
    return to_dicts(
        [
            mrkdwn_section(_t("confirmation", receipt, receipt.anonymous)),
            context(_t("confirmation_footer", receipt.anonymous)),
            actions([edit, delete], block_id=ids.BLOCK_FEEDBACK_CONFIRMATION),
        ]
    )


def confirmation_fallback(receipt: FeedbackReceipt) -> str:
    return _t("confirmation_fallback", receipt)
