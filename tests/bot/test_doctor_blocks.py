"""The `/persona doctor` message: within Slack's limits, failures kept when there are too many lines."""

from __future__ import annotations

from bot.blocks.doctor import MAX_LINE_BLOCKS, build_doctor_report
from bot.blocks.limits import assert_valid_blocks
from bot.services.doctor import Check, DoctorReport


def test_a_line_per_check_then_the_summary() -> None:
    report = DoctorReport(
        (
            Check("signing_secret", True, "the signing secret is set"),
            Check("owners", False, "1 persona has no owner in T1: A &amp; B"),
            Check("app_token", False, "SLACK_APP_TOKEN is not set", informational=True),
        )
    )
    message = build_doctor_report(report)
    assert_valid_blocks(message["blocks"])
    texts = [b.get("text", {}).get("text") or b["elements"][0]["text"] for b in message["blocks"]]
    assert texts[1:4] == [
        "✅ the signing secret is set",
        "❌ 1 persona has no owner in T1: A &amp; B",
        "➖ SLACK_APP_TOKEN is not set",
    ]
    assert texts[-1] == message["text"] == "1 check of 2 failed"


def test_many_workspaces_keep_the_failures_within_fifty_blocks() -> None:
    checks = [Check("roster", i % 10 != 0, f"line {i}", team_id=f"T{i}") for i in range(200)]
    message = build_doctor_report(DoctorReport(tuple(checks)))
    assert_valid_blocks(message["blocks"])
    assert len(message["blocks"]) <= 50
    assert len(message["blocks"]) == 2 + min(20, MAX_LINE_BLOCKS)
    assert message["text"] == "20 checks of 200 failed"
