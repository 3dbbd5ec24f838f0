"""`/persona results` through the real server and the Slack stand-in: the answer, the refusal, the chart in a DM,
and Home's Results and Still accurate buttons."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import select, update

from bot import ids
from bot.blocks.limits import assert_valid_blocks
from persona_store.models import Persona, PersonaReview
from persona_store.workspaces import ensure_workspace
from slack_standin import SlackStandin
from tests.e2e.conftest import E2E, STANDIN_TEAM
from tests.e2e.test_home import home_button, open_home
from tests.reports_seed import MANAGER, REPS, seed_world

pytestmark = pytest.mark.e2e

OWNER = "U0OWNS"
REP = "U0SALES2"


def seed(e2e: E2E) -> None:
    seed_world(e2e.sessions, team_id=e2e.team_id)
    for user_id, (name, _, _) in REPS.items():
        e2e.standin.add_user(STANDIN_TEAM, user_id, name)
    e2e.standin.add_user(STANDIN_TEAM, OWNER, "Olive Owner")
    with e2e.sessions.begin() as s:
        mine = Persona.workspace_id == ensure_workspace(s, e2e.team_id).id
        s.execute(update(Persona).where(mine, Persona.name == "Bravo").values(owner=OWNER))


def answer(reply: Any) -> list[dict[str, Any]]:
    assert reply.status == 200, reply.text
    body = reply.json()
    assert body["response_type"] == "ephemeral"
    blocks: list[dict[str, Any]] = body["blocks"]
    assert_valid_blocks(blocks)
    return blocks


def test_a_manager_gets_the_results_and_the_chart_in_a_dm(e2e: E2E) -> None:
    seed(e2e)
    blocks = answer(e2e.client.command("results bravo 2026-Q3", user_id=MANAGER, channel_id="C0DEALS"))
    text = json.dumps(blocks, ensure_ascii=False)
    assert "Results: Bravo · 2026-Q3" in text and "contested" in text
    assert "Sales: 5.0/5" in text and "Customer success: 2.5/5" in text
    assert "“Too many tools” · 2 views · Sales ✗ 0 (needs 3) · Customer success ✗ 2 (needs 3)" in text, "coverage"
    (upload,) = e2e.wait_for(lambda: e2e.standin.uploads(), timeout=30)
    assert upload.channel_id == SlackStandin.dm_channel_id(MANAGER), "private, never the channel asked in"
    assert upload.is_image and upload.filename == "fit-by-role.png"
    assert upload.alt_text and "overall 3.8 from 4 people" in upload.alt_text
    assert "Sales 5.0 (2 people)" in upload.alt_text and "Customer success 2.5 (2 people)" in upload.alt_text
    image = Image.open(io.BytesIO(upload.content))
    assert image.format == "PNG" and upload.image_size == image.size
    assert [c.method for c in e2e.standin.calls() if c.method.startswith("files.")] == [
        "files.getUploadURLExternal",
        "files.completeUploadExternal",
    ]


def test_every_persona_worst_first_and_a_bad_quarter(e2e: E2E) -> None:
    seed(e2e)
    text = json.dumps(answer(e2e.client.command("results 2026-Q3", user_id=MANAGER)), ensure_ascii=False)
    order = [text.index(name) for name in ("Charlie", "Bravo", "Delta", "Alpha")]
    assert order == sorted(order), "needs review, contested, not enough data, validated"
    e2e.wait_for(lambda: e2e.standin.uploads(), timeout=30)
    bad = json.dumps(answer(e2e.client.command("results bravo 2026-Q9", user_id=MANAGER)), ensure_ascii=False)
    assert "couldn't read that quarter" in bad


def test_a_rep_is_refused_politely_and_gets_no_chart(e2e: E2E) -> None:
    seed(e2e)
    text = json.dumps(answer(e2e.client.command("results bravo", user_id=REP)), ensure_ascii=False)
    assert "Results are for managers, admins and each persona's owner" in text
    assert "Bravo" not in text
    e2e.client.command("results bravo 2026-Q3", user_id=MANAGER)  # a later request: its chart arrives after
    uploads = e2e.wait_for(lambda: e2e.standin.uploads(), timeout=30)
    assert [u.channel_id for u in uploads] == [SlackStandin.dm_channel_id(MANAGER)], "nothing for the rep"


def test_an_owner_opens_results_from_home_and_a_rep_cannot_replay_it(e2e: E2E) -> None:
    seed(e2e)
    home = open_home(e2e, OWNER)
    results = home_button(home, ids.ACTION_RESULTS_OPEN)
    click = {"view": home, "response_url": False}
    assert e2e.client.block_action(results["action_id"], results["value"], user_id=OWNER, **click).status == 200
    dm = SlackStandin.dm_channel_id(OWNER)
    (message,) = e2e.wait_for(lambda: e2e.standin.messages(dm), timeout=30)
    assert "Results: Bravo" in json.dumps(message["blocks"], ensure_ascii=False)
    e2e.client.block_action(results["action_id"], results["value"], user_id=REP, **click)
    rep_dm = SlackStandin.dm_channel_id(REP)
    (refusal,) = e2e.wait_for(lambda: e2e.standin.messages(rep_dm), timeout=30)
    assert "Results are for managers" in json.dumps(refusal["blocks"]) and "Bravo" not in json.dumps(refusal)


def test_still_accurate_on_home_records_the_review_for_the_owner_only(e2e: E2E) -> None:
    seed(e2e)
    with e2e.sessions.begin() as s:
        mine = Persona.workspace_id == ensure_workspace(s, e2e.team_id).id
        s.execute(update(Persona).where(mine, Persona.name == "Delta").values(owner=OWNER))
        delta = s.scalar(select(Persona.id).where(mine, Persona.name == "Delta"))
    home = open_home(e2e, OWNER)
    assert "Personas due for your review" in json.dumps(home["blocks"], ensure_ascii=False)
    click = {"view": home, "response_url": False}
    e2e.client.block_action(ids.ACTION_HOME_STILL_ACCURATE, str(delta), user_id=REP, **click)  # a replay
    rep_dm = SlackStandin.dm_channel_id(REP)
    e2e.wait_for(lambda: e2e.standin.messages(rep_dm), timeout=30)
    with e2e.sessions.begin() as s:
        assert not s.scalars(select(PersonaReview).where(PersonaReview.persona_id == delta)).all()
    before = len(e2e.standin.calls("views.publish"))
    e2e.client.block_action(ids.ACTION_HOME_STILL_ACCURATE, str(delta), user_id=OWNER, **click)
    e2e.wait_for(lambda: len(e2e.standin.calls("views.publish")) > before, timeout=30)  # Home is redrawn
    with e2e.sessions.begin() as s:
        (review,) = s.scalars(select(PersonaReview).where(PersonaReview.persona_id == delta)).all()
        assert review.outcome == "accurate" and review.reviewer == OWNER
    redrawn = e2e.standin.home_view(STANDIN_TEAM, OWNER)
    assert redrawn is not None and "Personas due for your review" not in json.dumps(redrawn["blocks"])
