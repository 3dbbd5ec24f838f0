"""Six-monthly reviews end to end: the clock's DM to an owner, and each of its buttons through the real server."""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot import ids
from bot.blocks.edit import action_id
from bot.blocks.limits import assert_valid_blocks, assert_valid_view
from bot.clock.reviews import run_due_reviews
from bot.config import Settings
from bot.services import Services
from bot.slack.clients import SlackClients
from persona_store.files import parse_persona_file
from persona_store.models import PersonaReview, utcnow
from persona_store.personas import get_persona_by_key, import_personas
from persona_store.workspaces import ensure_workspace
from slack_standin import SlackStandin
from tests.e2e.conftest import BOT_TOKEN, DEMO_DATA, E2E, STANDIN_TEAM, RunningBot, make_e2e, run_bot

pytestmark = pytest.mark.e2e

OWNER = "U0OWNER1"  # owns Mary and Rick
OTHER_OWNER = "U0OWNER2"  # owns Fiona and Ivan
ADMIN = "U0ADMIN"


@pytest.fixture(scope="module")
def bot(standin: SlackStandin, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningBot]:
    with run_bot(standin, tmp_path_factory.mktemp("reviews"), PERSONA_BOT_ADMINS=ADMIN) as running:
        yield running


@pytest.fixture
def e2e(standin: SlackStandin, bot: RunningBot) -> Iterator[E2E]:
    world = make_e2e(standin, bot)
    for user in (OWNER, OTHER_OWNER, ADMIN, "U0REP"):
        standin.add_user(STANDIN_TEAM, user, user.lower())
    # Imported 200 days ago, never reviewed since: every persona is due.
    with world.sessions.begin() as s:
        workspace_id = ensure_workspace(s, world.team_id).id
        specs = parse_persona_file(DEMO_DATA / "personas.yaml")
        import_personas(s, workspace_id, specs, author="import", now=utcnow() - timedelta(days=200))
    try:
        yield world
    finally:
        world.client.close()


def run_clock(e2e: E2E) -> int:
    """One review step of the clock, in this process, against the bot's database and the stand-in."""
    settings = Settings(
        slack_api_url=e2e.standin.api_url,
        slack_bot_token=BOT_TOKEN,
        slack_team_id=e2e.team_id,
        admins=frozenset({ADMIN}),
    )
    with ThreadPoolExecutor(max_workers=1) as pool:
        services = Services.build(settings, e2e.sessions, pool)
        return run_due_reviews(services, SlackClients(settings), utcnow()).sent


def review_dm(e2e: E2E, owner: str, name: str) -> dict[str, Any]:
    for message in e2e.standin.messages(e2e.standin.dm_channel_id(owner)):
        if f"Time to review {name}" in json.dumps(message.get("blocks")):
            return message
    raise AssertionError(f"no review DM for {name}")


def button(message: dict[str, Any], action: str) -> dict[str, Any]:
    return next(
        e for b in message["blocks"] if b["type"] == "actions" for e in b["elements"] if e["action_id"] == action
    )


def click(e2e: E2E, message: dict[str, Any], action: str, user_id: str) -> None:
    element = button(message, action)
    reply = e2e.client.block_action(
        action, element["value"], user_id=user_id, message=message, channel_id=message["channel"]
    )
    assert reply.status == 200, reply.text


def current(e2e: E2E, message: dict[str, Any]) -> dict[str, Any]:
    return next(m for m in e2e.standin.messages(message["channel"]) if m["ts"] == message["ts"])


def reviews_of(e2e: E2E, key: str) -> list[str]:
    with e2e.sessions.begin() as s:
        persona = get_persona_by_key(s, e2e.workspace_id(), key)
        assert persona is not None
        return list(s.scalars(select(PersonaReview.outcome).where(PersonaReview.persona_id == persona.id)))


def test_each_owner_gets_one_dm_per_persona_with_the_digest_and_three_buttons(e2e: E2E) -> None:
    assert run_clock(e2e) == 4
    assert run_clock(e2e) == 0, "the next tick sends nothing"
    dm = review_dm(e2e, OWNER, "Marketing Director Mary")
    assert_valid_blocks(dm["blocks"])
    text = json.dumps(dm["blocks"])
    for part in ("Fit in ", "each person counts once", "doesn't match", "what's missing", f"<@{OWNER}>"):
        assert part in text
    labels = [b["text"]["text"] for b in dm["blocks"][-1]["elements"]]
    assert labels == ["Still accurate", "Edit", "Retire"]
    assert review_dm(e2e, OTHER_OWNER, "Finance Fiona")


def test_still_accurate_records_a_review_and_the_buttons_go_away(e2e: E2E) -> None:
    run_clock(e2e)
    dm = review_dm(e2e, OWNER, "Marketing Director Mary")
    click(e2e, dm, ids.ACTION_REVIEW_ACCURATE, OWNER)
    updated = e2e.wait_for(lambda: (m := current(e2e, dm)).get("edited") and m)
    assert not [b for b in updated["blocks"] if b["type"] == "actions"]
    assert "confirmed *Marketing Director Mary* is still accurate" in json.dumps(updated["blocks"])
    assert reviews_of(e2e, "marketing-director-mary") == ["accurate"]
    click(e2e, dm, ids.ACTION_REVIEW_ACCURATE, OWNER)  # a replayed click from the old message
    e2e.wait_for(lambda: "already answered" in json.dumps(current(e2e, dm)["blocks"]))
    assert reviews_of(e2e, "marketing-director-mary") == ["accurate"], "recorded once"


def test_someone_else_cannot_answer(e2e: E2E) -> None:
    run_clock(e2e)
    dm = review_dm(e2e, OWNER, "RevOps Rick")
    click(e2e, dm, ids.ACTION_REVIEW_RETIRE, "U0REP")
    posted = e2e.wait_for(lambda: e2e.standin.response_posts())
    assert "only the owner of *RevOps Rick* or a persona-bot admin" in json.dumps(posted[0].body)
    assert "edited" not in current(e2e, dm)
    assert reviews_of(e2e, "revops-rick") == []


def test_retire_by_an_admin_hides_the_persona(e2e: E2E) -> None:
    run_clock(e2e)
    dm = review_dm(e2e, OTHER_OWNER, "IT Admin Ivan")
    assert button(dm, ids.ACTION_REVIEW_RETIRE).get("confirm"), "retiring asks for confirmation"
    click(e2e, dm, ids.ACTION_REVIEW_RETIRE, ADMIN)
    e2e.wait_for(lambda: "retired *IT Admin Ivan*" in json.dumps(current(e2e, dm)["blocks"]))
    assert reviews_of(e2e, "it-admin-ivan") == ["retired"]
    reply = e2e.client.command("it admin ivan", user_id="U0REP").json()
    assert "couldn't find a persona" in json.dumps(reply["blocks"])


def test_edit_opens_the_form_and_saving_records_the_review(e2e: E2E) -> None:
    run_clock(e2e)
    dm = review_dm(e2e, OTHER_OWNER, "Finance Fiona")
    click(e2e, dm, ids.ACTION_REVIEW_EDIT, OTHER_OWNER)
    view = e2e.wait_for(lambda: e2e.standin.last_view(OTHER_OWNER))
    assert_valid_view(view)
    assert "Saving also records your six-monthly review" in json.dumps(view["blocks"])
    reply = e2e.client.view_submission_from(
        view, {action_id("role"): "CFO and COO", action_id("note"): "Six-monthly review"}, OTHER_OWNER
    )
    assert reply.status == 200 and not reply.body, reply.text
    e2e.wait_for(lambda: "edited *Finance Fiona*" in json.dumps(current(e2e, dm)["blocks"]))
    assert not [b for b in current(e2e, dm)["blocks"] if b["type"] == "actions"]
    assert reviews_of(e2e, "finance-fiona") == ["edited"]


def test_admins_see_overdue_reviews_and_others_do_not(e2e: E2E) -> None:
    run_clock(e2e)
    listing = e2e.client.command("reviews", user_id=ADMIN).json()
    assert_valid_blocks(listing["blocks"])
    text = json.dumps(listing["blocks"])
    assert "4 persona reviews overdue" in text and "owner asked" in text
    refused = e2e.client.command("reviews", user_id="U0REP").json()
    assert "only available to persona-bot admins" in json.dumps(refused["blocks"])
