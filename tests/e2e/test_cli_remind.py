"""`persona-bot checkin remind` right after the invitations says why nothing went out, and when it will."""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import E2E
from tests.e2e.test_checkins import checkin_env, cli

pytestmark = pytest.mark.e2e


def test_reminders_held_back_by_the_spacing_and_the_cap_are_counted_with_when_they_come_due(e2e: E2E) -> None:
    e2e.seed_personas()
    managers = ["U0DEMO001", "U0DEMO005"]  # Alex (sales) and Priya (marketing) manage: never asked
    reps = [r for r in e2e.seed_roster() if r not in managers]
    env = checkin_env(e2e)
    opened = cli(env, "checkin", "open", "--quarter", "2026-Q4", "--due", "2026-12-18")
    assert opened.returncode == 0, opened.stderr

    reminded = cli(env, "checkin", "remind")
    assert reminded.returncode == 0, reminded.stderr
    lines = reminded.stdout.splitlines()
    assert lines[:2] == ["round 2026-Q4:", "0 reminders sent"]
    assert re.fullmatch(
        rf"held back: {len(reps)} reps were messaged within the last 24 hours \(CHECKIN_REMINDER_SPACING_HOURS\); "
        r"the first becomes due \d\d \w\w\w \d{4} \d\d:\d\d UTC",
        lines[2],
    ), lines[2]
    assert not [c for c in e2e.standin.calls("chat.postMessage") if "Reminder" in str(c.params.get("text"))]

    capped = cli({**env, "CHECKIN_MAX_REMINDERS": "0", "CHECKIN_REMINDER_SPACING_HOURS": "0"}, "checkin", "remind")
    assert capped.returncode == 0, capped.stderr
    assert capped.stdout.splitlines()[1:] == [
        "0 reminders sent",
        f"held back: {len(reps)} reps have had every reminder (CHECKIN_MAX_REMINDERS is 0); none is due again",
    ]

    sent = cli({**env, "CHECKIN_REMINDER_SPACING_HOURS": "0"}, "checkin", "remind")
    assert sent.returncode == 0, sent.stderr
    assert sent.stdout.splitlines()[1:] == [f"{len(reps)} reminders sent"], "nothing held back: no excuse printed"
