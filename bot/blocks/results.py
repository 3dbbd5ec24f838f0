"""Block Kit for results in Slack: `/persona results`, the card's trust line, the owner's Home, the summary's extras.

Words come from prompts/results.j2; every figure is the evidence model's, passed in.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from slack_sdk.models.blocks import Block

from bot import ids
from bot.blocks.common import actions, button, context, divider, fallback_text, header, mrkdwn_section, to_dicts
from bot.render import render_part
from bot.services.results import LIST_SHOWN, ResultsAnswer, ResultsStatus
from persona_store import evidence
from persona_store.evidence import PersonaEvidence, StatementCoverage

LINES_PER_SECTION = 10
OWNED_SHOWN = 10
DUE_SHOWN = 5
SUMMARY_SECTION_CHARS = 2900
SIGNALS_SHOWN = 5
COVERAGE_SHOWN = 12  # statements; the rest are on the report's Coverage sheet
COVERAGE_SECTION_CHARS = 2900  # under a section's 3000, so no line is cut in half


def _t(macro: str, *args: Any) -> str:
    return render_part("results", macro, *args)


def _rule_args() -> tuple[int, float, float, float]:
    return (
        evidence.MIN_RATED_PEOPLE,
        evidence.VALIDATED_MIN_MEAN,
        evidence.VALIDATED_MIN_AGREEMENT,
        evidence.DISAGREEMENT_GAP,
    )


def build_results(answer: ResultsAnswer) -> dict[str, Any]:
    """The ephemeral answer to `/persona results …`: `blocks` and `text`."""
    if answer.status is ResultsStatus.PERSONA and answer.result is not None:
        return _persona(answer)
    if answer.status is ResultsStatus.LIST:
        return _list(answer)
    macro, args = {
        ResultsStatus.NOT_ALLOWED: ("not_allowed", ()),
        ResultsStatus.BAD_QUARTER: ("bad_quarter", (answer.reason,)),
        ResultsStatus.NO_MATCH: ("no_match", (answer.query, answer.suggestions)),
        ResultsStatus.NOTHING: ("nothing", (answer.period_label, answer.latest)),
    }.get(answer.status, ("gone", ()))
    text = _t(macro, *args)
    return {"blocks": to_dicts([mrkdwn_section(text)]), "text": fallback_text(text)}


def _persona(answer: ResultsAnswer) -> dict[str, Any]:
    result = answer.result
    assert result is not None
    p = result.persona
    blocks: list[Block] = [
        header(_t("header", p)),
        mrkdwn_section(_t("verdict", p, *_rule_args())),
        mrkdwn_section(_t("fit", p)),
        divider(),
        mrkdwn_section(_t("disputed", result.disputed, answer.min_group)),
        mrkdwn_section(_t("themes", result.themes, answer.min_group)),
        *_coverage(result.coverage, answer.min_group, everyone=answer.everyone),
    ]
    if result.outcomes is not None:
        blocks.append(mrkdwn_section(_t("outcome_figures", result.outcomes, result.outcome_period)))
        if result.signals:
            blocks.append(mrkdwn_section(_t("signals", result.signals[:SIGNALS_SHOWN])))
    if answer.chart:
        blocks.append(context(_t("chart_note")))
    blocks.append(actions(_persona_buttons(answer, p), block_id=ids.BLOCK_RESULTS_ACTIONS))
    return {"blocks": to_dicts(blocks), "text": fallback_text(_t("fallback", p))}


def _coverage(items: Sequence[StatementCoverage], min_group: int, *, everyone: bool) -> list[Block]:
    """RULE_COVERAGE per statement, those short of the minimum in some role first: as many lines as one section
    holds (at most COVERAGE_SHOWN), then how many more the report has."""
    if not items:
        return []
    ordered = sorted(items, key=lambda c: c.covered)  # stable: the persona's order within each group
    text = _t("coverage_heading", sum(1 for c in items if c.covered), len(items), items[0].minimum)
    shown = 0
    for item in ordered[:COVERAGE_SHOWN]:
        line = _t("coverage_line", item, min_group)
        if len(text) + 1 + len(line) > COVERAGE_SECTION_CHARS:
            break
        text, shown = f"{text}\n{line}", shown + 1
    blocks: list[Block] = [mrkdwn_section(text)]
    if shown < len(items):
        blocks.append(context(_t("coverage_more", len(items) - shown, everyone)))
    return blocks


def _persona_buttons(answer: ResultsAnswer, p: PersonaEvidence) -> list[Any]:
    buttons = []
    if answer.everyone:  # Download report is for managers and admins (the handler checks again)
        buttons.append(button(_t("download_button"), ids.ACTION_HOME_DOWNLOAD_REPORT, answer.period_label, "primary"))
    buttons.append(button(_t("edit_button"), ids.ACTION_EDIT_PICK, str(p.persona_id)))
    buttons.append(button(_t("history_button"), ids.ACTION_RESULTS_HISTORY, str(p.persona_id)))
    return buttons


def _list(answer: ResultsAnswer) -> dict[str, Any]:
    personas = answer.personas
    blocks: list[Block] = [mrkdwn_section(_t("list_header", answer.period_label, len(personas), answer.everyone))]
    shown = personas[:LIST_SHOWN]
    for start in range(0, len(shown), LINES_PER_SECTION):
        lines = "\n".join(_t("list_line", p).strip() for p in shown[start : start + LINES_PER_SECTION])
        blocks.append(mrkdwn_section(lines))
    if len(personas) > LIST_SHOWN:
        blocks.append(context(_t("list_more", len(personas) - LIST_SHOWN)))
    blocks.append(context(_t("list_hint")))
    if answer.chart:
        blocks.append(context(_t("chart_note")))
    if answer.everyone:
        download = button(_t("download_button"), ids.ACTION_HOME_DOWNLOAD_REPORT, answer.period_label, "primary")
        blocks.append(actions([download], block_id=ids.BLOCK_RESULTS_ACTIONS))
    return {"blocks": to_dicts(blocks), "text": fallback_text(_t("list_fallback", answer.period_label, len(personas)))}


# --- the card -----------------------------------------------------------------------------------------------------


def build_trust_line(figures: PersonaEvidence) -> Block:
    """The card's trust line ("Validated · rated by 7 people in 2026-Q4 · 2 statements disputed by Customer
    success"), within the minimum group: the evidence model withholds what a small group would give away."""
    return context(_t("trust_line", figures))


def disputed_texts(figures: PersonaEvidence | None, kind: str | None) -> tuple[str, ...]:
    """The texts of a kind's disputed statements, to mark them on the card (none without figures)."""
    if figures is None or kind is None:
        return ()
    return tuple(s.text for s in figures.disputed if s.kind == kind)


# --- the owner's Home ---------------------------------------------------------------------------------------------


def build_owned(owned: Sequence[PersonaEvidence], due: Sequence[PersonaEvidence]) -> list[Block]:
    """Each owned persona with its verdict, fit, trend and most disputed statement, and buttons; then the
    reviews due, each with Still accurate and Edit."""
    blocks: list[Block] = []
    for p in owned[:OWNED_SHOWN]:
        blocks.append(mrkdwn_section(_t("owned_persona", p), block_id=f"{ids.BLOCK_HOME_OWNED}.{p.persona_id}"))
        blocks.append(
            actions(
                [
                    button(_t("results_button"), ids.ACTION_RESULTS_OPEN, str(p.persona_id)),
                    button(_t("edit_short_button"), ids.ACTION_EDIT_PICK, str(p.persona_id)),
                    button(_t("accurate_button"), ids.ACTION_HOME_STILL_ACCURATE, str(p.persona_id), "primary"),
                ]
            )
        )
    if due:
        blocks.append(mrkdwn_section(_t("due_heading", len(due))))
        for p in due[:DUE_SHOWN]:
            blocks.append(mrkdwn_section(_t("due_persona", p)))
            blocks.append(
                actions(
                    [
                        button(_t("accurate_button"), ids.ACTION_HOME_STILL_ACCURATE, str(p.persona_id), "primary"),
                        button(_t("edit_short_button"), ids.ACTION_EDIT_PICK, str(p.persona_id)),
                    ]
                )
            )
    return blocks


# --- the round summary --------------------------------------------------------------------------------------------


def build_summary_extras(personas: Sequence[PersonaEvidence], quarter: str, *, with_report: bool) -> list[Block]:
    """Each persona's verdict and its change, and the buttons (Results per persona is `/persona results`)."""
    blocks: list[Block] = []
    lines = [_t("summary_verdicts", personas[i : i + 15]) for i in range(0, len(personas), 15)]
    blocks += [mrkdwn_section(text) for text in lines[:5]]
    buttons = [button(_t("results_button"), ids.ACTION_RESULTS_OPEN, "all")]  # not an id: every persona
    if with_report:
        buttons.append(button(_t("download_button"), ids.ACTION_HOME_DOWNLOAD_REPORT, quarter[:7]))
    blocks.append(actions(buttons, block_id=ids.BLOCK_SUMMARY_ACTIONS))
    return blocks


__all__ = ["build_owned", "build_results", "build_summary_extras", "build_trust_line", "disputed_texts"]
