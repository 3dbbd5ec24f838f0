"""Quarterly check-ins end to end: `persona-bot checkin …` and the real `persona-bot serve`, through the stand-in.

open → DMs → Start → every page → reminders reach only the silent → skip → close → summary → a late answer;
and the faults: the fan-out killed (SIGKILL) half-way and resumed, two `checkin open` processes at once.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Mapping
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from bot import ids
from bot.blocks.limits import assert_valid_blocks, assert_valid_view
from persona_store.db import make_engine, make_session_factory
from persona_store.models import Effect, Feedback, Participation
from persona_store.quarters import quarter_of
from persona_store.roster import import_roster
from persona_store.roster_file import RosterEntry
from persona_store.workspaces import ensure_workspace
from slack_standin import SlackStandin
from tests.conftest import TEST_DATABASE_URL
from tests.e2e.conftest import E2E, STANDIN_TEAM
from tests.e2e.harness import REPO_ROOT, BotProcess

pytestmark = pytest.mark.e2e

ANSWERING = ("U0DEMO002", "U0DEMO003")  # Jonas (sales), Yuki (success)
SKIPPING = "U0DEMO004"  # Aroha (onboarding)


def cli(env: Mapping[str, str], *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=REPO_ROOT,
        env=BotProcess._environment(env, inherit=True),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def checkin_env(e2e: E2E, **extra: str) -> dict[str, str]:
    return {**e2e.bot.env, "SLACK_TEAM_ID": e2e.team_id, "SLACK_POST_RATE": "200", **extra}


def dm_of(e2e: E2E, user_id: str) -> dict[str, Any]:
    channel = SlackStandin.dm_channel_id(user_id)
    messages = [m for m in e2e.standin.messages(channel) if "check-in" in m["text"]]
    assert messages, f"{user_id} has no check-in DM"
    return messages[0]


def element(message: dict[str, Any], action_id: str) -> dict[str, Any]:
    return next(
        e for b in message["blocks"] if b["type"] == "actions" for e in b["elements"] if e["action_id"] == action_id
    )


def answer_every_page(e2e: E2E, user_id: str, fit: str = "4") -> list[dict[str, Any]]:
    """Click Start in the DM and answer each page; returns the views seen."""
    dm = dm_of(e2e, user_id)
    start = element(dm, ids.ACTION_CHECKIN_START)
    e2e.client.block_action(start["action_id"], start["value"], user_id=user_id, message=dm)
    view = e2e.wait_for(
        lambda: (
            (e2e.standin.last_view(user_id) or {}).get("callback_id") == ids.VIEW_CHECKIN
            and e2e.standin.last_view(user_id)
        )
    )
    seen = []
    while view.get("submit"):
        assert_valid_view(view)
        seen.append(view)
        reply = e2e.client.view_submission_from(view, {ids.ACTION_FEEDBACK_FIT: fit}, user_id=user_id)
        assert reply.status == 200, reply.text
        body = reply.json()
        assert body["response_action"] == "update", body
        view = {**body["view"], "id": view["id"]}
    seen.append(view)
    return seen


def sent_dms(standin: SlackStandin, users: list[str]) -> Counter[str]:
    wanted = set(users)
    return Counter(
        str(c.params["channel"])
        for c in standin.calls("chat.postMessage")
        if c.ok and c.params.get("channel") in wanted and not str(c.params.get("text", "")).startswith("Reminder")
    )


def test_a_whole_round(e2e: E2E) -> None:
    e2e.seed_personas()
    managers = ["U0DEMO001", "U0DEMO005"]  # Alex (sales) and Priya (marketing) manage: never asked
    reps = [r for r in e2e.seed_roster() if r not in managers]
    env = checkin_env(e2e, REPORT_CHANNEL="C0REPORTS", CHECKIN_REMINDER_SPACING_HOURS="0")

    opened = cli(env, "checkin", "open", "--quarter", "2026-Q4", "--due", "2026-12-18")
    assert opened.returncode == 0, opened.stderr
    assert "round 2026-Q4 opened (due 18 Dec 2026)" in opened.stdout
    assert sent_dms(e2e.standin, [*reps, *managers]) == dict.fromkeys(reps, 1)
    dm = dm_of(e2e, ANSWERING[0])
    assert_valid_blocks(dm["blocks"])
    text = json.dumps(dm["blocks"])
    for words in ("Quarterly persona check-in", "persona-bot", "18 Dec 2026", "Start", "Remind me tomorrow"):
        assert words in text

    # Two reps answer every page: one persona per page, "1 of N", the thanks page at the end.
    for rep in ANSWERING:
        views = answer_every_page(e2e, rep)
        pages = views[:-1]
        assert len(pages) >= 2
        assert f"*1 of {len(pages)}*" in json.dumps(pages[0]["blocks"])
        assert "Thank you" in json.dumps(views[-1]["blocks"])
        updated = e2e.wait_for(lambda rep=rep: "Thank you" in json.dumps(dm_of(e2e, rep)["blocks"]) and dm_of(e2e, rep))
        labels = [e["action_id"] for b in updated["blocks"] if b["type"] == "actions" for e in b["elements"]]
        assert labels == [ids.ACTION_CHECKIN_START], "only Revise stays on the answered DM"
    with e2e.sessions.begin() as s:
        sources = s.execute(
            select(Feedback.source, Feedback.round_id, func.count()).group_by(Feedback.source, Feedback.round_id)
        ).all()
        assert len(sources) == 1 and sources[0][0] == "checkin" and sources[0][1] is not None

    # A revision updates the answers instead of adding more.
    with e2e.sessions.begin() as s:
        before = s.scalar(select(func.count()).select_from(Feedback))
    answer_every_page(e2e, ANSWERING[0], fit="2")
    with e2e.sessions.begin() as s:
        assert s.scalar(select(func.count()).select_from(Feedback)) == before
        assert set(s.scalars(select(Feedback.fit).where(Feedback.author_id == ANSWERING[0]))) == {2}

    # One rep skips with a reason; the DM says so.
    dm = dm_of(e2e, SKIPPING)
    skip = element(dm, ids.ACTION_CHECKIN_SKIP)
    e2e.client.block_action(
        skip["action_id"], user_id=SKIPPING, message=dm, selected_option=f"{skip['options'][0]['value']}"
    )
    e2e.wait_for(lambda: "skipping" in json.dumps(dm_of(e2e, SKIPPING)["blocks"]))

    # Reminders reach only the silent.
    reminded = cli(env, "checkin", "remind")
    assert reminded.returncode == 0, reminded.stderr
    silent = set(reps) - {*ANSWERING, SKIPPING}
    reminders = {
        c.params["channel"]
        for c in e2e.standin.calls("chat.postMessage")
        if str(c.params.get("text", "")).startswith("Reminder")
    }
    assert reminders == silent

    status = cli(env, "checkin", "status")
    assert status.returncode == 0, status.stderr
    assert "answered" in status.stdout and "silent" in status.stdout
    manager = e2e.client.command("checkin status", user_id="U0DEMO001").json()
    assert "2026 Q4 check-in" in json.dumps(manager["blocks"])
    refused = e2e.client.command("checkin status", user_id=ANSWERING[0]).json()
    assert "only available to managers" in json.dumps(refused["blocks"])

    # Someone opens the modal before the close and submits it after.
    latecomer = sorted(silent)[0]
    late = dm_of(e2e, latecomer)
    start = element(late, ids.ACTION_CHECKIN_START)
    e2e.client.block_action(start["action_id"], start["value"], user_id=latecomer, message=late)
    open_view = e2e.wait_for(lambda: e2e.standin.last_view(latecomer))

    closed = cli(env, "checkin", "close")
    assert closed.returncode == 0, closed.stderr
    summary = e2e.wait_for(lambda: e2e.standin.messages("C0REPORTS"))
    assert len(summary) == 1
    summary_text = json.dumps(summary[0]["blocks"])
    assert "Response rate by role" in summary_text and "Marketing Director Mary" in summary_text

    # A late answer: Start on the old DM, and a page submitted from a modal opened before the close.
    reply = e2e.client.view_submission_from(open_view, {ids.ACTION_FEEDBACK_FIT: "3"}, user_id=latecomer).json()
    assert reply["response_action"] == "update" and "This round has closed" in json.dumps(reply["view"])
    e2e.standin.clear()
    e2e.client.block_action(start["action_id"], start["value"], user_id=latecomer, message=late)
    notice = e2e.wait_for(lambda: e2e.standin.response_posts())
    assert "This round has closed" in json.dumps(notice[0].body)
    again = cli(env, "checkin", "close")
    assert again.returncode == 0 and "already closed" in again.stdout
    assert len(e2e.standin.messages("C0REPORTS")) == 0, "no second summary (recordings were cleared above)"


def _seed_many(e2e: E2E, count: int) -> list[str]:
    e2e.seed_personas()
    entries = [RosterEntry(f"U0K{i:04d}", f"Rep {i}", "sales", False, "Europe/Berlin") for i in range(count)]
    with e2e.sessions.begin() as s:
        import_roster(s, ensure_workspace(s, e2e.team_id).id, entries)
    for entry in entries:
        e2e.standin.add_user(STANDIN_TEAM, entry.slack_user_id, entry.name, tz="Europe/Berlin")
    return [e.slack_user_id for e in entries]


def test_the_fan_out_killed_half_way_resumes_with_no_duplicates_and_no_misses(e2e: E2E, tmp_path: Path) -> None:
    reps = _seed_many(e2e, 20)
    env = checkin_env(e2e, SLACK_POST_RATE="8", CHECKIN_SEND_WORKERS="1")  # the default lease: 10 minutes
    e2e.standin.rate_limit("chat.postMessage", 8, burst=1, retry_after_precision=0.01)
    log = (tmp_path / "killed.stderr").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "checkin", "open", "--quarter", "2026-Q4"],
        cwd=REPO_ROOT,
        env=BotProcess._environment(env, inherit=True),
        stdout=subprocess.DEVNULL,
        stderr=log,
        start_new_session=True,
    )
    try:
        e2e.wait_for(lambda: sum(sent_dms(e2e.standin, reps).values()) >= 8, timeout=30)

        workspace_id = e2e.workspace_id()

        def recorded() -> bool:
            # Kill at a point where our ledger agrees with Slack (see the duplicate window in checkin_delivery).
            with e2e.sessions.begin() as s:
                done = s.scalar(
                    select(func.count())
                    .select_from(Effect)
                    .where(Effect.workspace_id == workspace_id, Effect.status == "done")
                )
            return done == sum(sent_dms(e2e.standin, reps).values())

        e2e.wait_for(recorded, timeout=10)
        os.killpg(process.pid, signal.SIGKILL)
    finally:
        process.wait(10)
        log.close()
    assert process.returncode == -signal.SIGKILL
    halfway = sum(sent_dms(e2e.standin, reps).values())
    assert 8 <= halfway < 20, "killed half-way"

    # No waiting for a lease: the killed process's claims are taken over at once (its owner lock went with it).
    resumed = cli(env, "checkin", "open", "--quarter", "2026-Q4")
    assert resumed.returncode == 0, resumed.stderr
    assert "resumed" in resumed.stdout
    assert sent_dms(e2e.standin, reps) == dict.fromkeys(reps, 1)


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"] if TEST_DATABASE_URL else ["sqlite"])
def test_two_checkin_open_processes_at_once(
    e2e: E2E, backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    reps = _seed_many(e2e, 20)
    env = checkin_env(e2e, SLACK_POST_RATE="100", CHECKIN_SEND_WORKERS="2")
    if backend == "postgresql":
        url = request.getfixturevalue("postgres_url")
        env["DATABASE_URL"] = url
        engine = make_engine(url)
        from persona_store.db import ensure_schema

        ensure_schema(engine)
        sessions = make_session_factory(engine)
        from persona_store.files import parse_persona_file
        from persona_store.personas import import_personas
        from tests.e2e.conftest import DEMO_DATA

        with sessions.begin() as s:
            workspace_id = ensure_workspace(s, e2e.team_id).id
            import_personas(s, workspace_id, parse_persona_file(DEMO_DATA / "personas.yaml"), author="import")
            import_roster(s, workspace_id, [RosterEntry(r, r, "sales", False, "Europe/Berlin") for r in reps])
        engine.dispose()
    e2e.standin.rate_limit("chat.postMessage", 100, burst=3, retry_after_precision=0.01)
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "bot", "checkin", "open", "--quarter", "2026-Q4"],
            cwd=REPO_ROOT,
            env=BotProcess._environment(env, inherit=True),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=60) for p in processes]
    assert [p.returncode for p in processes] == [0, 0], outputs
    assert sent_dms(e2e.standin, reps) == dict.fromkeys(reps, 1)


def test_the_clock_process_asks_a_rep_who_joined_mid_round_and_stops_on_sigterm(e2e: E2E, tmp_path: Path) -> None:
    reps = _seed_many(e2e, 3)
    today = date.today()
    env = checkin_env(e2e, SCHEDULER_TICK_SECONDS="1")
    opened = cli(env, "checkin", "open", "--quarter", quarter_of(today).label, "--due", str(today + timedelta(days=5)))
    assert opened.returncode == 0, opened.stderr
    newcomer = "U0KLATE"
    with e2e.sessions.begin() as s:
        entries = [RosterEntry(r, r, "sales", False, "Europe/Berlin") for r in [*reps, newcomer]]
        import_roster(s, ensure_workspace(s, e2e.team_id).id, entries)
    e2e.standin.add_user(STANDIN_TEAM, newcomer, "Newcomer", tz="Asia/Tokyo")

    with (tmp_path / "clock.stderr").open("wb") as log:
        clock = subprocess.Popen(
            [sys.executable, "-m", "bot", "scheduler"],
            cwd=REPO_ROOT,
            env=BotProcess._environment(env, inherit=True),
            stdout=subprocess.DEVNULL,
            stderr=log,
            start_new_session=True,
        )
        try:
            e2e.wait_for(lambda: sent_dms(e2e.standin, [newcomer])[newcomer] == 1, timeout=30)
        finally:
            os.killpg(clock.pid, signal.SIGTERM)
            clock.wait(15)
    assert clock.returncode == 0, (tmp_path / "clock.stderr").read_text()
    assert sent_dms(e2e.standin, [*reps, newcomer]) == dict.fromkeys([*reps, newcomer], 1)
    with e2e.sessions.begin() as s:
        zone = s.scalar(select(Participation.timezone).where(Participation.slack_user_id == newcomer))
    assert zone == "Europe/Berlin", "the roster's zone wins over Slack's"
