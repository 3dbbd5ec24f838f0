"""A burst of feedback submissions and lookups, 24 at a time, through the real `persona-bot serve`.

Nothing is lost (every submission is one record and one confirmation), nothing gets a 5xx, every lookup gets its
card; on SQLite (writers queue in the process, `persona_store/sqlite_writes.py`) and on PostgreSQL. The timing of
the same burst is measured by `bench/burst.py`, not here.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy import func, select

from bot import ids
from persona_store.models import Feedback
from persona_store.roster import import_roster
from persona_store.roster_file import RosterEntry
from persona_store.workspaces import ensure_workspace
from slack_standin import SignedSlackClient, SlackStandin
from tests.conftest import BACKENDS
from tests.e2e.conftest import E2E, SIGNING_SECRET, STANDIN_TEAM, RunningBot, make_e2e, run_bot

pytestmark = pytest.mark.e2e

SUBMISSIONS = 72
LOOKUPS = 24
AT_ONCE = 24
PERSONAS = ("mary", "fiona", "rick", "ivan")
FIT = ids.ACTION_FEEDBACK_FIT


@pytest.fixture(scope="module", params=BACKENDS)
def bot(
    request: pytest.FixtureRequest, standin: SlackStandin, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningBot]:
    env = {}
    if request.param == "postgresql":
        env["DATABASE_URL"] = request.getfixturevalue("postgres_url")
    with run_bot(standin, tmp_path_factory.mktemp(f"burst-{request.param}"), **env) as running:
        yield running


@pytest.fixture
def world(standin: SlackStandin, bot: RunningBot) -> Iterator[E2E]:
    e2e = make_e2e(standin, bot)
    try:
        yield e2e
    finally:
        e2e.client.close()


def reps(world: E2E, count: int) -> list[str]:
    roles = ("sales", "success", "onboarding", "marketing")
    entries = [RosterEntry(f"U0B{i:05d}", f"Rep {i}", roles[i % 4], False, "UTC") for i in range(count)]
    with world.sessions.begin() as s:
        import_roster(s, ensure_workspace(s, world.team_id).id, entries)
    for entry in entries:
        world.standin.add_user(STANDIN_TEAM, entry.slack_user_id, entry.name)
    return [entry.slack_user_id for entry in entries]


def test_a_burst_of_submissions_and_lookups_loses_nothing_and_never_fails(world: E2E) -> None:
    world.seed_personas()
    users = reps(world, SUBMISSIONS)
    views = []
    for i, user in enumerate(users):  # each rep opens the modal first, as people would
        assert world.client.command(f"feedback {PERSONAS[i % 4]}", user_id=user, channel_id="C0DEALS").status == 200
        views.append(world.wait_for(lambda u=user: world.standin.last_view(u)))

    client = SignedSlackClient(world.bot.url, SIGNING_SECRET, standin=world.standin, team_id=world.team_id)
    sends: list[tuple[str, Callable[[], Any]]] = [
        ("submit", lambda v=view, u=user, fit=str(1 + i % 5): client.view_submission_from(v, {FIT: fit}, u))
        for i, (view, user) in enumerate(zip(views, users, strict=True))
    ]
    sends += [("lookup", lambda: client.command("mary", user_id=users[0], channel_id="C0DEALS"))] * LOOKUPS
    random.Random(14).shuffle(sends)
    try:
        with ThreadPoolExecutor(max_workers=AT_ONCE) as pool:
            answers = list(pool.map(lambda item: (item[0], item[1]()), sends))
    finally:
        client.close()

    assert [a.status for _, a in answers if a.status != 200] == [], "every request answered 200"
    for kind, answer in answers:
        body = answer.json() if answer.body else {}
        if kind == "lookup":
            assert body["blocks"][0]["text"]["text"] == "Marketing Director Mary"
        else:
            assert "response_action" not in body, body  # saved: the modal closes, no inline errors
    with world.sessions.begin() as s:
        workspace_id = ensure_workspace(s, world.team_id).id
        saved = s.scalars(select(Feedback.author_id).where(Feedback.workspace_id == workspace_id)).all()
    assert sorted(saved) == sorted(users), "one record per submission, none lost, none doubled"
    world.wait_for(lambda: len(world.standin.calls("chat.postEphemeral")) >= SUBMISSIONS, timeout=30)
    confirmed = [c.params["user"] for c in world.standin.calls("chat.postEphemeral") if c.ok]
    assert sorted(confirmed) == sorted(users), "each person got exactly one confirmation"
    with world.sessions.begin() as s:
        assert s.scalar(select(func.count(Feedback.id)).where(Feedback.workspace_id == workspace_id)) == SUBMISSIONS
