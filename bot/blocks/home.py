"""The App Home tab (`views.publish`): a rep's check-in, feedback and lookup help; a manager's quarter at a glance.

A Home tab holds at most 100 blocks, so however many personas there are the manager sees the ones that need
attention first (`PERSONAS_SHOWN`), a count of the rest, and Download report for the whole picture.
"""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import Block, MarkdownTextObject, SectionBlock
from slack_sdk.models.views import View

from bot import ids
from bot.blocks.common import actions, button, context, divider, header, mrkdwn_section
from bot.blocks.results import build_owned
from bot.blocks.revision_drafts import build_draft_blocks
from bot.blocks.roster import build_roster_home
from bot.render import render_part, truncate
from bot.services.home import HomeView
from bot.slack.limits import SECTION_TEXT_MAX

PERSONAS_SHOWN = 10
FEEDBACK_SHOWN = 5
REVIEWS_SHOWN = 10
OWNED_SHOWN = 10
SIGNALS_SHOWN = 5
HOME_DRAFTS_SHOWN = 3  # revision drafts: two blocks each


def build_home(view: HomeView) -> dict[str, Any]:
    """The `home` view for `views.publish`."""
    blocks: list[Block] = [
        header(render_part("home", "title")),
        mrkdwn_section(render_part("home", "intro", view)),
        *_checkin(view),
        divider(),
        *_feedback(view),
        mrkdwn_section(render_part("home", "lookup_help")),
    ]
    if view.owned:
        blocks += _owner(view)
    blocks += _revision_drafts(view)
    if view.outcome_signals:
        shown = view.outcome_signals[:SIGNALS_SHOWN]
        blocks += [divider(), mrkdwn_section(render_part("outcomes", "home_signals", shown, view.outcome_period))]
    if view.is_manager:
        blocks += _manager(view)
    if view.roster is not None:
        blocks += build_roster_home(view.roster)
    return View(type="home", blocks=blocks).to_dict()


def _checkin(view: HomeView) -> list[Block]:
    pending = view.pending_checkin
    if pending is None:
        return [context(render_part("home", "no_checkin"))]
    start = button(render_part("home", "start_button"), ids.ACTION_HOME_START_CHECKIN, str(pending.round_id), "primary")
    return [
        SectionBlock(
            text=MarkdownTextObject(text=truncate(render_part("home", "checkin", pending), SECTION_TEXT_MAX)),
            accessory=start,
            block_id=ids.BLOCK_HOME_CHECKIN,
        )
    ]


def _feedback(view: HomeView) -> list[Block]:
    items = view.recent_feedback[:FEEDBACK_SHOWN]
    if not items:
        return [mrkdwn_section(render_part("home", "feedback_heading")), context(render_part("home", "no_feedback"))]
    return [
        mrkdwn_section(render_part("home", "feedback_heading") + "\n" + render_part("home", "feedback_lines", items))
    ]


def _owner(view: HomeView) -> list[Block]:
    """The personas this person owns: the same figures as the manager's, and which are due for review."""
    owned = view.owned[:OWNED_SHOWN]
    blocks: list[Block] = [
        divider(),
        mrkdwn_section(render_part("home", "owned_heading", view.quarter, len(view.owned))),
    ]
    # Verdict, fit, trend and most disputed statement, with Results / Edit / Still accurate (bot/blocks/results.py).
    blocks += build_owned(owned, view.due_reviews)
    if len(view.owned) > OWNED_SHOWN:
        blocks.append(context(render_part("home", "more_personas", len(view.owned) - OWNED_SHOWN)))
    return blocks


def _manager(view: HomeView) -> list[Block]:
    blocks: list[Block] = [
        divider(),
        header(render_part("home", "manager_header", view.quarter)),
        mrkdwn_section(render_part("home", "responses", view.quarter, view.responses)),
    ]
    personas = view.needing_attention()
    if not personas:
        blocks.append(context(render_part("home", "no_personas")))
    else:
        blocks.append(context(render_part("home", "verdict_counts", view.counts(), len(personas))))
        blocks += [
            mrkdwn_section(render_part("home", "persona_fit", p, view.quarter)) for p in personas[:PERSONAS_SHOWN]
        ]
        if len(personas) > PERSONAS_SHOWN:
            blocks.append(context(render_part("home", "more_personas", len(personas) - PERSONAS_SHOWN)))
    blocks.append(
        actions(
            [button(render_part("home", "download_button"), ids.ACTION_HOME_DOWNLOAD_REPORT, view.quarter)],
            block_id=ids.BLOCK_HOME_MANAGER_ACTIONS,
        )
    )
    return blocks


def _revision_drafts(view: HomeView) -> list[Block]:
    """An owner's open revision drafts (persona_store.revision_drafts), with Accept and Dismiss."""
    if not view.revision_drafts:
        return []
    return [divider(), *build_draft_blocks(view.revision_drafts[:HOME_DRAFTS_SHOWN])]
