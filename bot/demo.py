"""`persona-bot demo`: the whole loop offline, on SQLite, against the local Slack stand-in.

It seeds example personas and a roster, serves the real app over HTTP on 127.0.0.1, plays people using it with
correctly signed requests, and prints what each person saw in Slack.
"""

from __future__ import annotations

import re
import secrets
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import click

from bot.app import create_app
from bot.config import Settings
from bot.demo_checkins import CHECKIN_SCENES
from bot.demo_drafts import DRAFT_SCENES
from bot.demo_feedback import FEEDBACK_SCENES
from bot.demo_home import HOME_SCENES
from bot.demo_lifecycle import DEMO_ADMIN, scene_admin_edits_a_persona, scene_owner_reviews_a_persona
from bot.demo_outcomes import OUTCOME_SCENES
from bot.demo_reports import HISTORY_SCENES, REPORT_SCENES
from bot.demo_results import RESULTS_SCENES
from bot.demo_setup import SETUP_SCENES
from bot.server import PersonaBotWSGI
from bot.services import Services
from persona_store import db
from persona_store.files import parse_persona_file, parse_roster_csv
from persona_store.personas import import_personas
from persona_store.roster import import_roster
from persona_store.workspaces import ensure_workspace
from slack_standin import SignedSlackClient, SlackStandin

DEMO_DATA = Path(__file__).parent / "demo_data"
TEAM_ID = "T0DEMO"
OWNER_NAMES = {"U0OWNER1": "Dana Kim (product marketing)", "U0OWNER2": "Luis Ortega (revenue operations)"}
BOT_TOKEN = "xoxb-demo-token"  # a stand-in token, valid only against the local stand-in


@dataclass
class DemoWorld:
    """What every scene can use: the stand-in, a signed client, the services and the people."""

    settings: Settings
    services: Services
    standin: SlackStandin
    client: SignedSlackClient
    out_dir: Path
    workspace_id: int
    people: dict[str, str]  # user id -> name
    echo: Callable[[str], None] = click.echo
    notes: list[str] = field(default_factory=list)

    def name(self, user_id: str) -> str:
        return self.people.get(user_id, user_id)

    def person_by_role(self, role: str, manager: bool | None = None) -> str:
        from persona_store.roster import list_roster

        with self.services.sessions.begin() as s:
            for member in list_roster(s, self.workspace_id):
                if member.role == role and (manager is None or member.is_manager == manager):
                    return member.slack_user_id
        raise LookupError(f"the demo roster has no {role}")

    def act(self, user_id: str, what: str) -> None:
        self.echo("")
        self.echo(click.style(f"▶ {self.name(user_id)} {what}", bold=True))

    def show(self, heading: str, payload: dict[str, Any] | None) -> None:
        """Print a message or view the way a person would read it."""
        self.echo(click.style(f"  {heading}:", fg="cyan"))
        for line in describe(payload or {}, self.people).splitlines():
            self.echo(f"    {line}")


Scene = Callable[[DemoWorld], None]


def describe(payload: dict[str, Any], people: dict[str, str] | None = None) -> str:
    """Block Kit as terminal text, as Slack would show it: mentions as names, entities decoded."""
    text = _describe_blocks(payload)
    names = people or {}
    text = re.sub(r"<@([UW][A-Z0-9]+)>", lambda m: "@" + names.get(m.group(1), m.group(1)), text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _describe_blocks(payload: dict[str, Any]) -> str:
    lines: list[str] = []
    if payload.get("title"):
        lines.append(f"[{_text(payload['title'])}]")
    blocks = payload.get("blocks") or []
    if not blocks and payload.get("text"):
        lines.append(str(payload["text"]))
    for block in blocks:
        kind = block.get("type")
        if kind == "header":
            lines.append(_text(block["text"]).upper())
        elif kind == "section":
            if block.get("text"):
                lines.append(_text(block["text"]))
            lines.extend(_text(f) for f in block.get("fields") or [])
            if block.get("accessory", {}).get("type") == "button":
                lines.append(f"[ {_text(block['accessory']['text'])} ]")
        elif kind == "context":
            lines.append("  ".join(_text(e) for e in block.get("elements", []) if "text" in e))
        elif kind == "actions":
            lines.append("  ".join(f"[ {_text(e['text'])} ]" for e in block.get("elements", []) if "text" in e))
        elif kind == "input":
            lines.append(f"◻ {_text(block['label'])}")
        elif kind == "divider":
            lines.append("─" * 40)
    return "\n".join(lines)


def _text(obj: Any) -> str:
    if isinstance(obj, dict):
        return str(obj.get("text", ""))
    return str(obj)


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # the stdlib's name
        """The app logs each request itself."""


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


@contextmanager
def running_app(settings: Settings, services: Services) -> Iterator[str]:
    """Serve the real WSGI app on a free local port in a thread; yields its base URL.

    The demo uses the standard library's threaded WSGI server (it stops cleanly in-process); `persona-bot serve`
    runs the same WSGI app on waitress.
    """
    app = create_app(settings, services)
    engine = services.sessions.kw["bind"]
    wsgi = PersonaBotWSGI(app, engine, settings.slack_signing_secret or "")
    server = make_server("127.0.0.1", 0, wsgi, server_class=_ThreadingWSGIServer, handler_class=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, name="demo-http", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def seed(services: Services, standin: SlackStandin) -> tuple[int, dict[str, str]]:
    """Example personas and roster, and the same people as Slack users in the stand-in."""
    specs = parse_persona_file(DEMO_DATA / "personas.yaml")
    roster = parse_roster_csv(DEMO_DATA / "roster.csv")
    with services.sessions.begin() as s:
        workspace_id = ensure_workspace(s, TEAM_ID, "Demo Co").id
        import_personas(s, workspace_id, specs, author="import")
        import_roster(s, workspace_id, roster)
    people = {entry.slack_user_id: entry.name for entry in roster}
    for spec in specs:
        if spec.owner and spec.owner not in people:
            people[spec.owner] = OWNER_NAMES.get(spec.owner, spec.owner)
    for user_id, name in people.items():
        tz = next((e.timezone for e in roster if e.slack_user_id == user_id and e.timezone), "Europe/London")
        standin.add_user(TEAM_ID, user_id, name, tz=tz)
    return workspace_id, people


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
        from concurrent.futures import ThreadPoolExecutor

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
