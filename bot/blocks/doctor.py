"""`/persona doctor`: the same lines as `persona-bot doctor`, as an ephemeral message."""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import Block

from bot.blocks.common import context, mrkdwn_section, to_dicts
from bot.render import render_part, truncate
from bot.services.doctor import Check, DoctorReport
from bot.slack.limits import MESSAGE_TEXT_MAX

MAX_LINE_BLOCKS = 45  # room for the heading and the summary inside Slack's 50 blocks


def check_mark(check: Check) -> str:
    return "➖" if check.informational else ("✅" if check.ok else "❌")


def build_doctor_report(report: DoctorReport) -> dict[str, Any]:
    """Blocks and a fallback text: a heading, a line per check (✅, ❌ with what to fix), and the summary."""
    lines = [f"{check_mark(check)} {check.text}" for check in report.checks]
    if len(lines) > MAX_LINE_BLOCKS:  # many workspaces: keep the failures, which say what to fix
        failures = [f"{check_mark(c)} {c.text}" for c in report.failed]
        lines = failures[:MAX_LINE_BLOCKS]
    blocks: list[Block] = [mrkdwn_section(render_part("doctor", "slack_heading"))]
    blocks.extend(mrkdwn_section(line) for line in lines)
    blocks.append(context(report.summary))
    return {"blocks": to_dicts(blocks), "text": truncate(report.summary, MESSAGE_TEXT_MAX)}
