"""A manager DMs a CRM export to the bot: files.info and the download through the stand-in, the real server."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from persona_store.models import CampaignResult, Deal
from slack_standin import SlackStandin
from tests.e2e.conftest import E2E, STANDIN_TEAM, run_bot
from tests.outcomes_seed import MANAGER, MARY, REP, seed_personas, write_campaigns, write_hubspot

pytestmark = pytest.mark.e2e


def seed(e2e: E2E) -> None:
    seed_personas(e2e.sessions, team_id=e2e.team_id)
    for user_id in (MANAGER, REP):
        e2e.standin.add_user(STANDIN_TEAM, user_id, user_id)


def share(e2e: E2E, user_id: str, file_id: str, *, channel: str | None = None, retry: int | None = None) -> Any:
    dm = channel or SlackStandin.dm_channel_id(user_id)
    event = {
        "type": "message",
        "subtype": "file_share",
        "channel_type": "im" if dm.startswith("D") else "channel",
        "channel": dm,
        "user": user_id,
        "text": "",
        "ts": f"{time.time():.6f}",
        "files": [{"id": file_id, "name": "export.csv"}],
    }
    reply = e2e.client.event(event, retry_num=retry, event_id=f"Ev{file_id}")
    assert reply.status == 200, reply.text
    return reply


def dm_texts(e2e: E2E, user_id: str) -> list[str]:
    return [
        json.dumps(m.get("blocks"), ensure_ascii=False)
        for m in e2e.standin.messages(SlackStandin.dm_channel_id(user_id))
    ]


def deals(e2e: E2E) -> int:
    with e2e.sessions.begin() as s:
        return int(s.scalar(select(func.count()).select_from(Deal).where(Deal.workspace_id == e2e.workspace_id())) or 0)


def wait_for_summary(e2e: E2E, user_id: str, needle: str) -> list[str]:
    return e2e.wait_for(lambda: [t for t in dm_texts(e2e, user_id) if needle in t])


def test_a_managers_export_is_imported_and_answered_in_the_dm(e2e: E2E, tmp_path: Path) -> None:
    seed(e2e)
    content = write_hubspot(tmp_path / "deals.csv").read_bytes()
    shared = e2e.standin.add_file(STANDIN_TEAM, MANAGER, "hubspot-deals.csv", content)
    share(e2e, MANAGER, shared.file_id)
    summary = wait_for_summary(e2e, MANAGER, "Imported hubspot-deals.csv")[0]
    assert "37 deals rows (37 new, 0 updated; columns: hubspot)" in summary
    assert "“Procurement Pete” (2 rows, first on line 37): no persona is close" in summary
    assert deals(e2e) == 37
    assert [c.params["file"] for c in e2e.standin.calls("files.info")] == [shared.file_id]
    assert [(d.file_id, d.authorized) for d in e2e.standin.downloads()] == [(shared.file_id, True)]
    # The first message says it is working on it, the second what came of it.
    assert "Importing hubspot-deals.csv" in dm_texts(e2e, MANAGER)[0]


def test_campaign_results_are_told_from_deals_by_their_columns(e2e: E2E, tmp_path: Path) -> None:
    seed(e2e)
    shared = e2e.standin.add_file(
        STANDIN_TEAM, MANAGER, "campaigns.csv", write_campaigns(tmp_path / "c.csv").read_bytes()
    )
    share(e2e, MANAGER, shared.file_id)
    assert "2 campaigns rows (2 new" in wait_for_summary(e2e, MANAGER, "Imported campaigns.csv")[0]
    with e2e.sessions.begin() as s:
        assert s.scalar(select(func.count()).select_from(CampaignResult)) >= 2


def test_a_rep_is_refused_and_their_file_is_never_read(e2e: E2E, tmp_path: Path) -> None:
    seed(e2e)
    shared = e2e.standin.add_file(STANDIN_TEAM, REP, "deals.csv", write_hubspot(tmp_path / "d.csv").read_bytes())
    share(e2e, REP, shared.file_id)
    refusal = e2e.wait_for(lambda: dm_texts(e2e, REP))[0]
    assert "only managers and persona-bot admins can import" in refusal
    assert e2e.standin.calls("files.info") == [] and e2e.standin.downloads() == []
    assert deals(e2e) == 0


def test_files_not_shared_by_the_sender_in_the_bots_dm_are_ignored(e2e: E2E, tmp_path: Path) -> None:
    seed(e2e)
    content = write_hubspot(tmp_path / "d.csv").read_bytes()
    # The event claims the manager shared a rep's file in the manager's DM: files.info says otherwise.
    someone_elses = e2e.standin.add_file(STANDIN_TEAM, REP, "theirs.csv", content)
    share(e2e, MANAGER, someone_elses.file_id)
    # A file shared in a channel: not a DM, not read at all.
    in_channel = e2e.standin.add_file(STANDIN_TEAM, MANAGER, "channel.csv", content, channel_id="C0SALES")
    share(e2e, MANAGER, in_channel.file_id, channel="C0SALES")
    # Then a proper one, to know the bot has handled everything before it.
    mine = e2e.standin.add_file(STANDIN_TEAM, MANAGER, "mine.csv", content)
    share(e2e, MANAGER, mine.file_id)
    wait_for_summary(e2e, MANAGER, "Imported mine.csv")
    assert [d.file_id for d in e2e.standin.downloads()] == [mine.file_id]
    assert not any("theirs.csv" in t or "channel.csv" in t for t in dm_texts(e2e, MANAGER))
    assert [c.params["file"] for c in e2e.standin.calls("files.info")].count(in_channel.file_id) == 0


def test_a_retried_event_imports_once(e2e: E2E, tmp_path: Path) -> None:
    seed(e2e)
    shared = e2e.standin.add_file(STANDIN_TEAM, MANAGER, "deals.csv", write_hubspot(tmp_path / "d.csv").read_bytes())
    share(e2e, MANAGER, shared.file_id)
    share(e2e, MANAGER, shared.file_id, retry=1)
    wait_for_summary(e2e, MANAGER, "Imported deals.csv")
    later = e2e.standin.add_file(STANDIN_TEAM, MANAGER, "later.csv", b"deal_id,persona\nL-1," + MARY.encode() + b"\n")
    share(e2e, MANAGER, later.file_id)
    wait_for_summary(e2e, MANAGER, "Imported later.csv")
    assert len([t for t in dm_texts(e2e, MANAGER) if "Imported deals.csv" in t]) == 1
    assert [d.file_id for d in e2e.standin.downloads()] == [shared.file_id, later.file_id]


def test_bad_rows_mean_nothing_is_imported_and_the_lines_are_named(e2e: E2E) -> None:
    seed(e2e)
    content = f"deal_id,persona,outcome,closed\nB-1,{MARY},won,2026-08-01\nB-2,{MARY},won,tomorrow\n".encode()
    shared = e2e.standin.add_file(STANDIN_TEAM, MANAGER, "bad.csv", content)
    share(e2e, MANAGER, shared.file_id)
    answer = wait_for_summary(e2e, MANAGER, "Nothing imported from bad.csv")[0]
    assert "line 3: close date “tomorrow” isn't a date" in answer
    assert deals(e2e) == 0


def test_a_spreadsheet_is_not_read(e2e: E2E) -> None:
    seed(e2e)
    shared = e2e.standin.add_file(
        STANDIN_TEAM, MANAGER, "deals.xlsx", b"PK\x03\x04", mimetype="application/vnd.ms-excel.sheet", filetype="xlsx"
    )
    share(e2e, MANAGER, shared.file_id)
    assert wait_for_summary(e2e, MANAGER, "deals.xlsx isn't a CSV file")
    assert e2e.standin.downloads() == []


def test_a_file_over_the_size_cap_is_not_downloaded(standin: SlackStandin, tmp_path: Path) -> None:
    from slack_standin import SignedSlackClient
    from tests.e2e.conftest import SIGNING_SECRET

    with run_bot(standin, tmp_path, OUTCOMES_MAX_FILE_MB="1") as bot:
        standin.clear()
        client = SignedSlackClient(bot.url, SIGNING_SECRET, standin=standin, team_id="T0BIGFILE")
        world = E2E(standin=standin, bot=bot, client=client, team_id="T0BIGFILE")
        try:
            seed(world)
            big = b"deal_id,persona\n" + b"".join(f"D-{i},{MARY}\n".encode() for i in range(60_000))
            assert len(big) > 1024 * 1024
            shared = standin.add_file(STANDIN_TEAM, MANAGER, "big.csv", big)
            share(world, MANAGER, shared.file_id)
            answer = wait_for_summary(world, MANAGER, "larger than 1 MB")[0]
            assert "persona-bot outcomes import FILE" in answer
            assert standin.downloads() == []
        finally:
            client.close()


def test_when_slack_wont_describe_the_file_the_sender_is_told(e2e: E2E) -> None:
    seed(e2e)
    shared = e2e.standin.add_file(STANDIN_TEAM, MANAGER, "deals.csv", b"deal_id,persona\n")
    e2e.standin.fail("files.info", status=200, error="file_not_found")
    share(e2e, MANAGER, shared.file_id)
    assert wait_for_summary(e2e, MANAGER, "couldn't download your file")
    assert e2e.standin.downloads() == [] and deals(e2e) == 0
