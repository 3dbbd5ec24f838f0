"""`/persona report` and the Home tab's Download report through the real server and the Slack stand-in."""

from __future__ import annotations

import io
import json
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import openpyxl
import pytest

from bot import ids
from persona_store.models import RosterMember
from slack_standin import SignedSlackClient, SlackStandin
from tests.e2e.conftest import E2E, SIGNING_SECRET, STANDIN_TEAM
from tests.reports_seed import MANAGER, REPS, seed_world

pytestmark = pytest.mark.e2e

# answered ÷ (asked − skipped): the old headline said 40 % (answered ÷ assigned).
HEADLINE = (
    "4 personas: 1 validated, 1 contested, 1 needs review, 1 not enough data; "
    "response rate 50 % (2 answered of 4: 5 asked − 1 skipped) · 1 unreachable, 1 silent"
)


def seed(e2e: E2E) -> None:
    seed_world(e2e.sessions, team_id=e2e.team_id)
    for user_id, (name, _, _) in REPS.items():
        e2e.standin.add_user(STANDIN_TEAM, user_id, name)


def ack_text(reply: Any) -> str:
    assert reply.status == 200, reply.text
    body = reply.json()
    assert body["response_type"] == "ephemeral"
    return json.dumps(body["blocks"], ensure_ascii=False)


def test_a_manager_gets_the_workbook_in_a_dm(e2e: E2E) -> None:
    seed(e2e)
    ack = ack_text(e2e.client.command("report 2026-Q3", user_id=MANAGER, channel_id="C0MGRS"))
    assert "Building the persona report for 2026-Q3" in ack
    upload = e2e.wait_for(lambda: e2e.standin.uploads())[0]
    assert upload.channel_id == SlackStandin.dm_channel_id(MANAGER)
    assert upload.filename == "persona-report-2026-Q3.xlsx"
    assert HEADLINE in (upload.initial_comment or "")
    workbook = openpyxl.load_workbook(io.BytesIO(upload.content))
    assert workbook.sheetnames == [
        "Summary",
        "Attributes",
        "Themes",
        "Trend",
        "Comments",
        "Responses",
        "Participation",
        "Coverage",
    ]
    assert workbook["Summary"]["A1"].value == "Persona report 2026-Q3"
    assert [c.method for c in e2e.standin.calls() if c.method.startswith("files.")] == [
        "files.getUploadURLExternal",
        "files.completeUploadExternal",
    ]


def test_a_rep_is_refused_and_gets_no_file(e2e: E2E) -> None:
    seed(e2e)
    refusal = ack_text(e2e.client.command("report", user_id="U0SALES2"))
    assert "only available to managers and persona-bot admins" in refusal
    # A manager's request after the refusal: once its file is in, the refusal has had every chance to upload.
    e2e.client.command("report", user_id=MANAGER)
    uploads = e2e.wait_for(lambda: e2e.standin.uploads())
    assert [u.channel_id for u in uploads] == [SlackStandin.dm_channel_id(MANAGER)]
    assert not [c for c in e2e.standin.calls("conversations.open") if c.params.get("users") == "U0SALES2"]


def test_an_empty_quarter_gets_a_message_not_a_file(e2e: E2E) -> None:
    seed(e2e)
    e2e.client.command("report 2025-Q1", user_id=MANAGER)
    dm = SlackStandin.dm_channel_id(MANAGER)
    message = e2e.wait_for(lambda: e2e.standin.messages(dm))[0]
    text = json.dumps(message["blocks"])
    assert "nothing to report for 2025-Q1" in text and "2026-Q3" in text
    assert e2e.standin.uploads() == []


def test_a_bad_quarter_is_explained_at_once(e2e: E2E) -> None:
    seed(e2e)
    reply = ack_text(e2e.client.command("report next-quarter", user_id=MANAGER))
    assert "write it like 2026-Q4" in reply and "/persona report 2026-Q1..2026-Q4" in reply


def test_home_download_button_sends_the_same_workbook(e2e: E2E) -> None:
    seed(e2e)
    e2e.client.block_action(
        ids.ACTION_HOME_DOWNLOAD_REPORT, "2026-Q3", user_id=MANAGER, view={"type": "home", "id": "V1"}
    )
    upload = e2e.wait_for(lambda: e2e.standin.uploads())[0]
    assert upload.channel_id == SlackStandin.dm_channel_id(MANAGER) and HEADLINE in (upload.initial_comment or "")


def test_eight_managers_at_once_are_all_acknowledged_before_any_upload_finishes(e2e: E2E) -> None:
    seed(e2e)
    managers = [f"U0MGR{i}" for i in range(8)]
    with e2e.sessions.begin() as s:
        for user_id in managers:
            s.add(
                RosterMember(
                    workspace_id=e2e.workspace_id(), slack_user_id=user_id, name=user_id, role="sales", is_manager=True
                )
            )
    for user_id in managers:
        e2e.standin.add_user(STANDIN_TEAM, user_id, user_id)
    # Uploads hang in Slack for a while: every ack and a lookup must come back while they are still pending.
    e2e.standin.latency("files.completeUploadExternal", 3.0)
    clients = [
        SignedSlackClient(e2e.bot.url, SIGNING_SECRET, standin=e2e.standin, team_id=e2e.team_id) for _ in managers
    ]
    start = threading.Barrier(len(managers))

    def ask(i: int) -> str:
        start.wait()
        return ack_text(clients[i].command("report 2026-Q3", user_id=managers[i]))

    try:
        with ThreadPoolExecutor(max_workers=len(managers)) as pool:
            acks = list(pool.map(ask, range(len(managers))))
        lookup = e2e.client.command("alpha", user_id="U0SALES2")
        uploads_when_answered = len(e2e.standin.uploads())
    finally:
        for client in clients:
            client.close()
    assert all("Building the persona report" in a for a in acks)
    assert lookup.status == 200 and "Alpha" in json.dumps(lookup.json()["blocks"])
    assert uploads_when_answered == 0, "every ack and the lookup came back while all uploads were still pending"
    uploads = e2e.wait_for(lambda: len(e2e.standin.uploads()) == 8 and e2e.standin.uploads(), timeout=60)
    assert {u.channel_id for u in uploads} == {SlackStandin.dm_channel_id(m) for m in managers}
