"""Block Kit for quarterly check-ins: the DM and its reminders, the paged modal, the status and the close summary.

The modal's questions are the feedback form's own (`bot.blocks.feedback`), one persona per page; pages are chained
with `response_action: update` and carry the round, the page and the persona ids in `private_metadata`.
"""

from __future__ import annotations

import copy
import functools
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from slack_sdk.models.blocks import Block, Option, PlainTextObject, StaticSelectElement
from slack_sdk.models.views import View

from bot import ids
from bot.blocks.common import (
    actions,
    button,
    context,
    divider,
    fallback_text,
    header,
    mrkdwn_section,
    to_dicts,
)
from bot.blocks.feedback import build_feedback_question_blocks
from bot.blocks.results import build_summary_extras
from bot.render import render_part, truncate
from bot.services.checkins import CheckinPage
from bot.services.lookup import PersonaCard
from bot.services.outbox import CheckedPersona, Outgoing
from bot.services.rounds import RoundInfo
from bot.services.summary import RoundStatus, RoundSummary
from bot.slack.limits import VIEW_TEXT_MAX
from bot.untrusted import parse_count, parse_id, seal, unseal
from persona_store.checkins import SKIP_REASONS
from persona_store.feedback import FeedbackAnswers

TEMPLATE = "checkins"
# A message holds 50 blocks: the DM lists this many personas by name and counts the rest.
DM_PERSONA_LIMIT = 25
# The feedback questions take up to max_attributes + 12 blocks; a page adds three of its own (100 per modal).
PAGE_ATTRIBUTE_LIMIT = 80


def _t(macro: str, *args: Any) -> str:
    return render_part(TEMPLATE, macro, *args)


def _plain(text: str, limit: int) -> PlainTextObject:
    return PlainTextObject(text=truncate(text, limit))


# --- the DM -----------------------------------------------------------------------------------------------------


def _dm_actions(round_id: int, *, start_label: str, with_snooze: bool = True) -> Block:
    elements: list[Any] = [button(start_label, ids.ACTION_CHECKIN_START, str(round_id), style="primary")]
    if with_snooze:
        elements.append(button(_t("snooze_button"), ids.ACTION_CHECKIN_SNOOZE, str(round_id)))
    elements.append(
        StaticSelectElement(
            action_id=ids.ACTION_CHECKIN_SKIP,
            placeholder=_plain(_t("skip_placeholder"), 150),
            options=[Option(value=f"{round_id}:{reason}", text=_t("skip_option", reason)) for reason in SKIP_REASONS],
        )
    )
    return actions(elements, block_id=ids.BLOCK_CHECKIN_ACTIONS)


def build_checkin_message(item: Outgoing, *, reminder_limit: int = 2) -> dict[str, Any]:
    """chat.postMessage arguments for an invitation, a reminder or a "remind me tomorrow" (posted to the rep)."""
    if item.kind == "invite":
        lead = _t("invite_intro", item.user_id, item.estimate)
    elif item.kind == "reminder":
        lead = _t("reminder_intro", item.user_id, item.number, reminder_limit)
    else:
        lead = _t("snooze_intro", item.user_id)
    text, head, tail = _dm_parts(item.kind, item.round_id, item.quarter, item.due_date, item.personas)
    blocks = [head, mrkdwn_section(lead).to_dict(), *tail]
    return {"channel": item.user_id, "text": text, "blocks": copy.deepcopy(blocks), "unfurl_links": False}


@functools.lru_cache(maxsize=64)
def _dm_parts(
    kind: str, round_id: int, quarter: str, due_date: date, personas: tuple[CheckedPersona, ...]
) -> tuple[str, dict[str, Any], list[dict[str, Any]]]:
    """What every rep of a role gets alike, built once per fan-out (a 5,000-rep round renders it a handful of times)."""
    text = _t("fallback" if kind == "invite" else "reminder_fallback", quarter, due_date)
    shown = list(personas[:DM_PERSONA_LIMIT])
    tail: list[Block] = []
    if personas:
        listing = _t("persona_list", shown)
        if len(personas) > len(shown):
            listing += f"\n…and {len(personas) - len(shown)} more"
        tail.append(mrkdwn_section(listing))
    tail.append(context(_t("due", due_date)))
    tail.append(_dm_actions(round_id, start_label=_t("start_button")))
    return fallback_text(text), header(_t("invite_header", quarter)).to_dict(), to_dicts(tail)


def build_answered_message(round_info: RoundInfo) -> dict[str, Any]:
    """What the DM becomes once the rep has answered: no Start/Skip/Snooze, only "Revise my answers"."""
    blocks: list[Block] = [
        header(_t("invite_header", round_info.quarter)),
        mrkdwn_section(_t("answered", round_info.quarter, round_info.due_date)),
        actions([button(_t("revise_button"), ids.ACTION_CHECKIN_START, str(round_info.id))], ids.BLOCK_CHECKIN_ACTIONS),
    ]
    return {"text": fallback_text(_t("answered", round_info.quarter, round_info.due_date)), "blocks": to_dicts(blocks)}


def build_skipped_message(round_info: RoundInfo, reason: str) -> dict[str, Any]:
    """What the DM becomes after a skip: the reason, and Start in case they change their mind."""
    blocks: list[Block] = [
        header(_t("invite_header", round_info.quarter)),
        mrkdwn_section(_t("skipped", round_info.quarter, reason)),
        actions([button(_t("start_button"), ids.ACTION_CHECKIN_START, str(round_info.id))], ids.BLOCK_CHECKIN_ACTIONS),
    ]
    return {"text": fallback_text(_t("skipped", round_info.quarter, reason)), "blocks": to_dicts(blocks)}


def build_notice(macro: str, *args: Any) -> dict[str, Any]:
    """A one-paragraph answer (closed, snoozed, not part of it) for respond()/ephemeral use."""
    text = _t(macro, *args)
    return {"text": fallback_text(text), "blocks": to_dicts([mrkdwn_section(text)])}


def build_notice_text(template: str, macro: str, *args: Any) -> dict[str, Any]:
    """A paragraph from any template (e.g. errors.j2), as message arguments."""
    text = render_part(template, macro, *args)
    return {"text": fallback_text(text), "blocks": to_dicts([mrkdwn_section(text)])}


def snoozed_notice(when: datetime, zone: str) -> dict[str, Any]:
    from zoneinfo import ZoneInfo

    local = when.astimezone(ZoneInfo(zone))
    return build_notice("snoozed", f"{local:%A %d %b at %H:%M}", zone)


# --- the modal --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PageMeta:
    """The modal's `private_metadata`: which round, which page, and the persona ids in page order."""

    round_id: int
    index: int
    persona_ids: tuple[int, ...]

    def to_json(self) -> str:
        """Sealed (`bot.untrusted.seal`): the round and the personas are the server's, never the client's."""
        return seal(ids.VIEW_CHECKIN, {"r": self.round_id, "i": self.index, "p": list(self.persona_ids)})

    @classmethod
    def from_json(cls, raw: str | None) -> PageMeta | None:
        data = unseal(ids.VIEW_CHECKIN, raw)
        if data is None:
            return None
        round_id, index, persona_ids = parse_id(data.get("r")), parse_count(data.get("i"), 1000), data.get("p")
        if round_id is None or index is None or not isinstance(persona_ids, list):
            return None
        parsed = tuple(parse_id(x) for x in persona_ids)
        if not parsed or any(x is None for x in parsed) or index >= len(parsed):
            return None
        return cls(round_id, index, tuple(x for x in parsed if x is not None))


def _modal(
    blocks: list[Block], *, meta: str = "", submit: str | None = None, close: str | None = None
) -> dict[str, Any]:
    view = View(
        type="modal",
        callback_id=ids.VIEW_CHECKIN,
        title=_plain(_t("title"), VIEW_TEXT_MAX),
        submit=_plain(submit, VIEW_TEXT_MAX) if submit else None,
        close=_plain(close or _t("close_button"), VIEW_TEXT_MAX),
        private_metadata=meta,
        blocks=blocks,
    )
    return view.to_dict()


def build_checkin_page(page: CheckinPage, index: int, draft: FeedbackAnswers | None = None) -> dict[str, Any]:
    """Page `index` (0-based) of the check-in: one persona, progress "2 of 3", and a light set of questions: the
    role (first page only, from the roster, to confirm), fit, the statements chosen for this rep (at most four) and
    an optional "what's missing"."""
    card: PersonaCard = page.personas[index]
    count = len(page.personas)
    prefill = draft or page.previous.get(card.id)
    first = index == 0
    blocks: list[Block] = [
        context(_t("progress", index + 1, count, page.round.quarter)),
        mrkdwn_section(_t("persona_summary", card.name, card.role, card.summary)),
    ]
    if first:
        blocks.append(context(_t("page_estimate", page.estimate)))
    blocks.append(divider())
    blocks.extend(
        build_feedback_question_blocks(
            card,
            prefill,
            default_role=page.role,
            max_attributes=PAGE_ATTRIBUTE_LIMIT,
            with_role=first,
            positions=page.asked(card.id),
            light=True,
        )
    )
    meta = PageMeta(page.round.id, index, tuple(p.id for p in page.personas))
    last = index == count - 1
    return _modal(blocks, meta=meta.to_json(), submit=_t("submit_button") if last else _t("next_button"))


def build_thanks_view(page: CheckinPage) -> dict[str, Any]:
    text = _t("thanks", len(page.personas), page.round.quarter, page.round.due_date)
    return _modal([mrkdwn_section(text)], close=_t("done_button"))


def build_notice_view(macro: str, *args: Any) -> dict[str, Any]:
    return _modal([mrkdwn_section(_t(macro, *args))], close=_t("done_button"))


# --- status and summary -------------------------------------------------------------------------------------------


def status_lines(status: RoundStatus) -> list[str]:
    """The status as mrkdwn lines: a header and one line per role."""
    r = status.round
    lines = [_t("status_header", r.quarter, r.status, r.due_date)]
    lines.extend(_t("status_line", role, counts) for role, counts in status.counts.items())
    if status.counts:
        lines.append(_t("status_total", status.total))
    if status.unreachable:
        lines.append(_t("summary_unreachable", len(status.unreachable)))
    return lines


def build_status(status: RoundStatus | None) -> list[dict[str, Any]]:
    if status is None:
        return to_dicts([mrkdwn_section(_t("no_round"))])
    return to_dicts([mrkdwn_section("\n".join(status_lines(status)))])


def build_summary(summary: RoundSummary, *, with_report: bool = False) -> dict[str, Any]:
    """The close message: response rate by role and one line per persona."""
    quarter = summary.status.round.quarter
    blocks: list[Block] = [
        header(_t("summary_header", quarter)),
        mrkdwn_section(_t("summary_rates", summary.status.counts, summary.status.total)),
    ]
    persona_lines = [_t("summary_persona", p) for p in summary.personas]
    if persona_lines:
        persona_lines[0] = _t("summary_personas_header", quarter) + "\n" + persona_lines[0]
    # Sections hold 3,000 characters: split the persona lines over as many sections as they need.
    chunk: list[str] = []
    for line in persona_lines:
        if chunk and len("\n".join([*chunk, line])) > 2900:
            blocks.append(mrkdwn_section("\n".join(chunk)))
            chunk = []
        chunk.append(line)
    if chunk:
        blocks.append(mrkdwn_section("\n".join(chunk)))
    # Verdicts and their change against the previous period, and the Results / Download report buttons.
    extras = build_summary_extras(summary.personas, quarter, with_report=with_report)
    blocks = blocks[: 50 - len(extras) - 2] + extras
    if summary.status.unreachable:
        blocks.append(context(_t("summary_unreachable", len(summary.status.unreachable))))
    if not with_report:
        blocks.append(context(_t("summary_no_report")))
    return {"text": fallback_text(_t("summary_fallback", quarter)), "blocks": to_dicts(blocks[:50])}
