"""The demo's world: the stand-in, a signed client, the services, the people, and how a scene shows what they see."""

from __future__ import annotations

import re
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
from bot.server import PersonaBotWSGI
from bot.services import Services
from persona_store.files import parse_persona_file
from persona_store.personas import import_personas
from persona_store.roster import import_roster, list_roster
from persona_store.roster_file import parse_roster_csv
from persona_store.workspaces import ensure_workspace
from slack_standin import SignedSlackClient, SlackStandin

DEMO_DATA = Path(__file__).parent / "data"
TEAM_ID = "T0DEMO"
OWNER_NAMES = {"U0OWNER1": "Dana Kim (product marketing)", "U0OWNER2": "Luis Ortega (revenue operations)"}
BOT_TOKEN = "xoxb-demo-token"  # a stand-in token, valid only against the local stand-in
DEMO_ADMIN = "U0DEMO005"  # Priya Shah, the marketing manager; `persona-bot demo` makes her an admin


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
