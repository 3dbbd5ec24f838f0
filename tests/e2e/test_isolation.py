"""Two workspaces installed through OAuth never see each other's personas, feedback, reports or check-ins.

The same people (the same user ids) are on both rosters, as with someone who works in two workspaces, so only the
workspace scoping keeps their data apart.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from sqlalchemy import select

from bot import ids
from bot.cli import cli as root_cli
from persona_store.models import CheckinRound, Feedback, Persona, utcnow
from persona_store.quarters import current_quarter
from slack_standin import SlackStandin
from tests.e2e.conftest import E2E, RunningBot
from tests.e2e.oauth_helpers import client_for, install, oauth_bot

pytestmark = pytest.mark.e2e

MANAGER = "U0DEMO001"
REP = "U0DEMO002"
TEAM_A = "T0ISOLA"
TEAM_B = "T0ISOLB"
RATERS = (("U0DEMO002", "sales"), ("U0DEMO003", "success"), ("U0DEMO004", "onboarding"))


@pytest.fixture(scope="module")
def bot(standin: SlackStandin, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningBot]:
    yield from oauth_bot(standin, tmp_path_factory.mktemp("isolation"))


@pytest.fixture(scope="module")
def worlds(bot: RunningBot, standin: SlackStandin) -> Iterator[tuple[E2E, E2E]]:
    made = []
    for team in (TEAM_A, TEAM_B):
        landing, _ = install(standin, bot, team)
        assert landing.status == 200, landing.body
        made.append(E2E(standin=standin, bot=bot, client=client_for(standin, bot, team), team_id=team))
    a, b = made
    a.seed_personas()
    b.seed_personas("personas:\n  - {name: Bravo Bob, role: Buyer, owner: U0DEMO001}\n")
    for world in (a, b):
        for user_id in world.seed_roster():  # the same people, as Slack users of this workspace too
            standin.add_user(world.team_id, user_id, f"Person {user_id}")
        rate(world, "Marketing Director Mary" if world is a else "Bravo Bob", fit=2)
    open_round(a)
    yield a, b
    for world in made:
        world.client.close()


def rate(world: E2E, persona_name: str, fit: int) -> None:
    workspace_id = world.workspace_id()
    with world.sessions.begin() as s:
        persona = s.scalars(
            select(Persona).where(Persona.workspace_id == workspace_id, Persona.name == persona_name)
        ).one()
        for author, role in RATERS:
            s.add(
                Feedback(
                    workspace_id=workspace_id,
                    persona_id=persona.id,
                    revision_number=persona.revision_number,
                    submission_key=f"isolation-{persona.id}-{author}",
                    author_id=author,
                    author_role=role,
                    source="adhoc",
                    fit=fit,
                    missing_text=f"{persona_name} rarely signs alone",
                )
            )


def open_round(world: E2E) -> None:
    from persona_store.models import Participation

    workspace_id = world.workspace_id()
    quarter = current_quarter(utcnow())
    with world.sessions.begin() as s:
        round_ = CheckinRound(workspace_id=workspace_id, quarter=quarter.label, due_date=quarter.end)
        s.add(round_)
        s.flush()
        s.add(Participation(round_id=round_.id, slack_user_id=REP, role="sales", timezone="UTC"))


def command(world: E2E, text: str, user_id: str = REP) -> str:
    reply = world.client.command(text, user_id=user_id, channel_id="C0DEALS")
    assert reply.status == 200, reply.text
    return json.dumps(reply.json(), ensure_ascii=False)


def home(world: E2E, user_id: str) -> str:
    world.standin.clear()
    world.client.app_home_opened(user_id)
    view: dict[str, Any] = world.wait_for(lambda: world.standin.home_view(world.team_id, user_id))
    return json.dumps(view, ensure_ascii=False)


def test_lookups_find_only_the_workspaces_own_personas(worlds: tuple[E2E, E2E]) -> None:
    a, b = worlds
    assert "Marketing Director Mary" in command(a, "mary")
    assert "Marketing Director Mary" not in command(b, "mary")
    listing = command(b, "list")
    assert "Bravo Bob" in listing and "Mary" not in listing and "Fiona" not in listing
    assert "Bravo Bob" not in command(a, "list")
    assert "Marketing Director Mary" in command(a, "history mary")
    assert "Marketing Director Mary" not in command(b, "history mary"), "no other workspace's revision history"


def test_home_tabs_show_only_the_workspaces_own_feedback_checkins_and_fit(worlds: tuple[E2E, E2E]) -> None:
    a, b = worlds
    rep_a, rep_b = home(a, REP), home(b, REP)
    assert "Marketing Director Mary" in rep_a and "check-in is waiting" in rep_a
    assert "Marketing Director Mary" not in rep_b and "No check-in waiting" in rep_b and "Bravo Bob" in rep_b
    boss_a, boss_b = home(a, MANAGER), home(b, MANAGER)
    assert "Bravo Bob" not in boss_a and "0 answered of 1" in boss_a
    assert "Marketing Director Mary" not in boss_b and "Finance Fiona" not in boss_b
    assert "1 active persona" in boss_b and "nobody has been asked this quarter yet" in boss_b


def test_checkin_status_shows_only_the_workspaces_own_round(worlds: tuple[E2E, E2E]) -> None:
    a, b = worlds
    quarter_name = current_quarter(utcnow()).label.replace("-", " ")
    status_a = command(a, "checkin status", user_id=MANAGER)
    status_b = command(b, "checkin status", user_id=MANAGER)
    assert f"{quarter_name} check-in" in status_a and "There is no check-in round yet" not in status_a
    assert "There is no check-in round yet" in status_b and f"{quarter_name} check-in" not in status_b


def workbook_text(content: bytes) -> str:
    book = load_workbook(io.BytesIO(content), read_only=True)
    cells = [str(v) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True) for v in row if v]
    return "\n".join(cells)


def test_reports_contain_only_the_workspaces_own_personas_and_feedback(
    worlds: tuple[E2E, E2E], standin: SlackStandin
) -> None:
    a, b = worlds
    standin.clear()
    for world in (a, b):
        assert "Building the persona report" in command(world, "report", user_id=MANAGER)
    uploads = standin.wait_for(lambda: len(standin.uploads()) >= 2 and standin.uploads(), timeout=30)
    by_team = {u.team_id: workbook_text(u.content) for u in uploads}
    assert set(by_team) == {TEAM_A, TEAM_B}
    assert "Marketing Director Mary" in by_team[TEAM_A] and "Bravo Bob" not in by_team[TEAM_A]
    assert "Bravo Bob" in by_team[TEAM_B] and "Marketing Director Mary" not in by_team[TEAM_B]
    assert "Mary rarely signs alone" not in by_team[TEAM_B]


def test_a_button_value_from_one_workspace_reveals_nothing_in_the_other(worlds: tuple[E2E, E2E]) -> None:
    a, b = worlds
    card = json.loads(command(a, "mary"))
    share = next(e for blk in card["blocks"] if blk["type"] == "actions" for e in blk["elements"])
    assert share["action_id"] == ids.ACTION_SHARE_CARD
    b.standin.clear()
    b.client.block_action(share["action_id"], share["value"], channel_id="C0DEALS", message={"ts": "1.1", **card})
    posts = b.wait_for(lambda: b.standin.response_posts())
    assert "Marketing Director Mary" not in json.dumps(posts[0].body)


def cli(world: E2E, *args: str) -> tuple[int, str, str]:
    env = {"DATABASE_URL": world.bot.env["DATABASE_URL"], "SLACK_TEAM_ID": "", "SLACK_BOT_TOKEN": ""}
    result = CliRunner().invoke(root_cli, ["--team", world.team_id, *args], env=env)
    return result.exit_code, result.stdout, result.stderr


def test_the_command_line_acts_on_one_workspace_only(worlds: tuple[E2E, E2E], tmp_path: Path) -> None:
    a, b = worlds
    code, listing, _ = cli(b, "personas", "list")
    assert code == 0 and "Bravo Bob" in listing and "Mary" not in listing
    assert cli(a, "checkin", "status")[0] == 0
    code, _, err = cli(b, "checkin", "status")
    assert code == 1 and "there is no check-in round yet" in err
    code, out, _ = cli(b, "report", "-o", str(tmp_path / "b.xlsx"))
    assert code == 0, out
    assert "Marketing Director Mary" not in workbook_text((tmp_path / "b.xlsx").read_bytes())
    code, out, _ = cli(b, "export-user", REP)
    assert code == 0 and "Marketing Director Mary" not in out and "Bravo Bob" in out
    guess = CliRunner().invoke(root_cli, ["personas", "list"], env={"DATABASE_URL": a.bot.env["DATABASE_URL"]})
    assert guess.exit_code == 1 and "several workspaces are on record" in guess.stderr, "without --team, no guessing"


def test_a_round_opened_in_one_workspace_messages_only_its_people_with_its_own_token(
    worlds: tuple[E2E, E2E], standin: SlackStandin
) -> None:
    a, b = worlds
    standin.clear()
    env = {
        "DATABASE_URL": b.bot.env["DATABASE_URL"],
        "SLACK_API_URL": standin.api_url,
        "SLACK_CLIENT_ID": standin.client_id,
        "SLACK_CLIENT_SECRET": standin.client_secret,
        "SLACK_BOT_TOKEN": "",
    }
    result = CliRunner().invoke(root_cli, ["--team", TEAM_B, "checkin", "open"], env=env)
    assert result.exit_code == 0, result.output
    sent = standin.calls("chat.postMessage")
    assert sent and {c.team_id for c in sent} == {TEAM_B}, "every DM went out with workspace B's token"
    assert not standin.calls(team_id=TEAM_A)
    boss_a = home(a, MANAGER)
    assert "0 answered of 1" in boss_a, "workspace A's round is untouched"
