"""`persona-bot demo`: the whole loop offline, on SQLite, against the local Slack stand-in.

It seeds example personas and a roster, serves the real app over HTTP on 127.0.0.1, plays people using it with
correctly signed requests, and prints what each person saw in Slack.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import click

from bot.config import Settings
from bot.demo.checkins import CHECKIN_SCENES
from bot.demo.drafts import DRAFT_SCENES
from bot.demo.feedback import FEEDBACK_SCENES
from bot.demo.home import HOME_SCENES
from bot.demo.lifecycle import scene_admin_edits_a_persona, scene_owner_reviews_a_persona
from bot.demo.outcomes import OUTCOME_SCENES
from bot.demo.reports import HISTORY_SCENES, REPORT_SCENES
from bot.demo.results import RESULTS_SCENES
from bot.demo.setup import SETUP_SCENES
from bot.demo.world import BOT_TOKEN, DEMO_ADMIN, TEAM_ID, DemoWorld, Scene, running_app, seed
from bot.services import Services
from persona_store import db
from slack_standin import SignedSlackClient, SlackStandin


def scene_help(world: DemoWorld) -> None:
    rep = world.person_by_role("sales", manager=False)
    world.act(rep, "types `/persona help`")
    reply = world.client.command("help", user_id=rep)
    world.show("only they see", reply.json())


def scene_lookup_and_share(world: DemoWorld) -> None:
    rep = world.person_by_role("sales", manager=False)
    world.act(rep, "types `/persona mary` in #deals")
    reply = world.client.command("mary", user_id=rep, channel_id="C0DEALS")
    card = reply.json()
    world.show("only they see", card)
    world.act(rep, "types a typo, `/persona fionna`")
    world.show("only they see", world.client.command("fionna", user_id=rep, channel_id="C0DEALS").json())
    world.act(rep, "clicks “Share in channel” on Mary's card")
    share = next(e for b in card["blocks"] if b["type"] == "actions" for e in b["elements"])
    before = len(world.standin.response_posts())
    world.client.block_action(
        share["action_id"], share["value"], user_id=rep, channel_id="C0DEALS", message={"ts": "1.0", **card}
    )
    world.standin.wait_for(lambda: len(world.standin.response_posts()) >= before + 2, timeout=10)
    shared = next(p for p in world.standin.response_posts()[before:] if p.body.get("response_type") == "in_channel")
    world.show("everyone in #deals sees", shared.body)


SCENES: list[Scene] = [
    scene_lookup_and_share,
    *FEEDBACK_SCENES,
    scene_help,
    scene_admin_edits_a_persona,
    scene_owner_reviews_a_persona,
    *HISTORY_SCENES,  # before the round, Home and the report: every figure they show describes answers that exist
    *DRAFT_SCENES,  # Mary's owner accepts what the evidence proposes; the round then asks the new wording
    *CHECKIN_SCENES,
    *HOME_SCENES,
    *RESULTS_SCENES,  # after the round: `/persona results mary` and an owner's Home describe its answers
    *SETUP_SCENES,  # week one: an admin adds a rep by @mention and moves the open hour
    *OUTCOME_SCENES,  # before the report, so the workbook has its Outcomes sheet
    *REPORT_SCENES,  # last: the manager's workbook sums up everything the demo did
]


def run_demo(out_dir: Path, echo: Callable[[str], None] = click.echo) -> DemoWorld:
    out_dir.mkdir(parents=True, exist_ok=True)
    database = out_dir / "persona_bot_demo.db"
    for stale in out_dir.glob("persona_bot_demo.db*"):
        stale.unlink()
    with SlackStandin(team_id=TEAM_ID, bot_token=BOT_TOKEN) as standin:
        settings = Settings.from_env({}).with_overrides(
            database_url=f"sqlite:///{database}",
            slack_api_url=standin.api_url,
            slack_bot_token=BOT_TOKEN,
            slack_signing_secret=secrets.token_hex(16),
            slack_team_id=TEAM_ID,
            admins=frozenset({DEMO_ADMIN}),
        )
        engine = db.make_engine(settings.database_url)
        db.ensure_schema(engine)
        with ThreadPoolExecutor(max_workers=2, thread_name_prefix="background") as background:
            services = Services.build(settings, db.make_session_factory(engine), background)
            workspace_id, people = seed(services, standin)
            with running_app(settings, services) as url:
                client = SignedSlackClient(url, settings.slack_signing_secret or "", standin=standin, team_id=TEAM_ID)
                world = DemoWorld(settings, services, standin, client, out_dir, workspace_id, people, echo=echo)
                echo(
                    click.style("persona-bot demo", bold=True) + f": app on {url}, Slack stand-in on {standin.api_url}"
                )
                for scene in SCENES:
                    scene(world)
        engine.dispose()
    echo("")
    echo(f"The demo database is {database}")
    for line in world.notes:
        echo(line)
    return world
