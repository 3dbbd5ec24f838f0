"""Every listener answers Slack before it calls Slack: the real `persona-bot serve` with Slack held.

The app answers in the request thread (Bolt's `process_before_response`), so a Slack call made before the answer
would hold the answer up, and Slack gives up after 3 s. Here the stand-in holds every Web API call and every
response_url post until the test lets go. Each listener must answer while Slack is held; once Slack is let go,
its Slack work must happen, and the recorded order must show the answer first. A coverage test checks that
every listener `create_app` registers has a case here.
"""

from __future__ import annotations

import re
import threading
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot import ids
from bot.app import create_app
from bot.blocks.edit import action_id
from bot.blocks.settings import action_id as settings_action
from bot.config import Settings
from bot.listeners.commands import routes
from bot.services import Services
from persona_store.db import make_engine, make_session_factory
from persona_store.models import Feedback
from persona_store.personas import get_persona_by_key
from persona_store.workspaces import ensure_workspace
from slack_standin import SignedSlackClient, SlackStandin
from slack_standin.client import Response
from tests.e2e.conftest import BOT_TOKEN, E2E, SIGNING_SECRET, STANDIN_TEAM, RunningBot, run_bot

pytestmark = pytest.mark.e2e

ADMIN = "U0ADMIN"
OWNER = "U0OWNER1"  # owns Mary in the demo personas
MANAGER = "U0DEMO001"  # a manager in the demo roster
REP = "U0DEMO002"
CHANNEL = "C0DEALS"
HTTP_ANSWERED = "http answered"


class HeldSlack(SlackStandin):
    """The stand-in, able to hold every request the app makes to Slack until released; records what happened."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._open = threading.Event()
        self._open.set()
        self._events_lock = threading.Lock()
        self.events: list[str] = []

    def note(self, event: str) -> None:
        with self._events_lock:
            self.events.append(event)

    def recorded(self) -> list[str]:
        with self._events_lock:
            return list(self.events)

    def hold(self) -> None:
        with self._events_lock:
            self.events.clear()
        self._open.clear()

    def release(self) -> None:
        self._open.set()

    def _route(self, verb: str, target: str, headers: Any, body: bytes) -> Any:
        path = target.partition("?")[0]
        where = path.rsplit("/", 1)[-1] if path.startswith("/api/") else path.split("/")[1]
        self.note(f"slack arrived {where}")
        self._open.wait(timeout=30)
        reply = super()._route(verb, target, headers, body)
        self.note(f"slack answered {where}")
        return reply


@pytest.fixture(scope="module")
def standin() -> Iterator[HeldSlack]:
    with HeldSlack(team_id=STANDIN_TEAM, bot_token=BOT_TOKEN) as server:
        yield server


@pytest.fixture(scope="module")
def bot(standin: HeldSlack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningBot]:
    with run_bot(standin, tmp_path_factory.mktemp("acks"), PERSONA_BOT_ADMINS=ADMIN) as running:
        yield running


@pytest.fixture
def world(standin: HeldSlack, bot: RunningBot) -> Iterator[E2E]:
    standin.clear()
    team_id = "T" + uuid.uuid4().hex[:10].upper()
    # A short client timeout: an answer that waits for the held Slack fails the test instead of hanging it.
    client = SignedSlackClient(bot.url, SIGNING_SECRET, standin=standin, team_id=team_id, timeout=8)
    e2e = E2E(standin=standin, bot=bot, client=client, team_id=team_id)
    e2e.seed_personas()
    e2e.seed_roster()
    for user in (ADMIN, OWNER, REP):
        standin.add_user(STANDIN_TEAM, user, user.lower())
    assert client.command("help", user_id=REP).status == 200  # Bolt's first request checks the token with Slack
    try:
        yield e2e
    finally:
        client.close()


def answered_while_held(world: E2E, send: Callable[[], Response], *then: str) -> Response:
    """Send with Slack held; the answer must come while held. Then let go and wait for the Slack work `then`."""
    standin: HeldSlack = world.standin  # type: ignore[assignment]
    standin.hold()
    try:
        reply = send()
        standin.note(HTTP_ANSWERED)
    except TimeoutError:
        pytest.fail(f"no answer while Slack was held: the listener called Slack first ({standin.recorded()})")
    finally:
        standin.release()
    assert reply.status == 200, reply.text
    for step in then:
        world.wait_for(lambda step=step: f"slack answered {step}" in standin.recorded())
    events = standin.recorded()
    first_slack_answer = next((i for i, e in enumerate(events) if e.startswith("slack answered")), len(events))
    assert events.index(HTTP_ANSWERED) < first_slack_answer, events
    return reply


def opened_modals(world: E2E) -> int:
    """views.open calls the stand-in has answered (and recorded as answered) so far."""
    standin: HeldSlack = world.standin  # type: ignore[assignment]
    return standin.recorded().count("slack answered views.open")


def mary_id(world: E2E) -> str:
    with world.sessions.begin() as s:
        persona = get_persona_by_key(s, ensure_workspace(s, world.team_id).id, "marketing-director-mary")
        assert persona is not None
        return str(persona.id)


def card(world: E2E) -> dict[str, Any]:
    answer: dict[str, Any] = world.client.command("mary", user_id=REP, channel_id=CHANNEL).json()
    return answer


def feedback_modal(world: E2E) -> dict[str, Any]:
    assert world.client.command("feedback mary", user_id=REP, channel_id=CHANNEL).status == 200
    view: dict[str, Any] = world.wait_for(lambda: world.standin.last_view(REP))
    return view


def submit_feedback(world: E2E) -> Response:
    view = feedback_modal(world)
    reply = world.client.view_submission_from(view, {ids.ACTION_FEEDBACK_FIT: "4"}, user_id=REP)
    world.wait_for(lambda: world.standin.calls("chat.postEphemeral"))  # the confirmation, with its buttons
    return reply


def feedback_id(world: E2E) -> str:
    with world.sessions.begin() as s:
        return str(s.scalars(select(Feedback.id).order_by(Feedback.id.desc())).first())


# --- one case per registered listener ---------------------------------------------------------------------------
# Each case: the listener's id -> a function that drives it with Slack held and checks the Slack work after.

Case = Callable[[E2E], None]


def case_lookup(world: E2E) -> None:
    reply = answered_while_held(world, lambda: world.client.command("mary", user_id=REP, channel_id=CHANNEL))
    assert reply.json()["blocks"][0]["text"]["text"] == "Marketing Director Mary"


def case_answered_in_the_acknowledgement(world: E2E) -> None:
    for words in ("", "help", "list", "history mary", "reviews", "checkin status"):
        reply = answered_while_held(world, lambda w=words: world.client.command(w, user_id=ADMIN))
        assert reply.json()["blocks"], words
    assert not [e for e in world.standin.recorded() if e.startswith("slack")], "no Slack call at all"


def case_feedback_command(world: E2E) -> None:
    answered_while_held(world, lambda: world.client.command("feedback mary", user_id=REP), "views.open")
    assert world.standin.last_view(REP) is not None


def case_edit_command(world: E2E) -> None:
    # Whether the owner is also a Slack admin is asked once (users.info), then remembered: ask it before holding.
    done = opened_modals(world)
    assert world.client.command("edit mary", user_id=OWNER).status == 200
    world.wait_for(lambda: opened_modals(world) > done)  # that modal is open before anything is held
    answered_while_held(world, lambda: world.client.command("edit mary", user_id=OWNER), "views.open")
    answered_while_held(world, lambda: world.client.command("new", user_id=ADMIN), "views.open")


def case_report_command(world: E2E) -> None:
    reply = answered_while_held(
        world, lambda: world.client.command("report", user_id=MANAGER), "conversations.open", "chat.postMessage"
    )
    assert "report" in reply.text.lower()


def case_share(world: E2E) -> None:
    answered_while_held(
        world,
        lambda: world.client.block_action(ids.ACTION_SHARE_CARD, mary_id(world), user_id=REP, message=card(world)),
        "response",
    )


def case_pick(world: E2E) -> None:
    answered_while_held(
        world, lambda: world.client.block_action(ids.ACTION_PICK_PERSONA, mary_id(world), user_id=REP), "response"
    )


def case_give_feedback(world: E2E) -> None:
    answered_while_held(
        world,
        lambda: world.client.block_action(ids.ACTION_GIVE_FEEDBACK, mary_id(world), user_id=REP, message=card(world)),
        "views.open",
    )


def case_shortcut(world: E2E) -> None:
    message = {"ts": "1700000000.000100", "text": "The CFO asked about payback again", "user": "U0CUSTOMER"}
    answered_while_held(
        world,
        lambda: world.client.message_shortcut(ids.SHORTCUT_LOG_FEEDBACK, message, channel_id=CHANNEL, user_id=REP),
        "views.open",
    )


def case_persona_switch(world: E2E) -> None:
    view = feedback_modal(world)
    select = next(b for b in view["blocks"] if b.get("block_id") == ids.BLOCK_FEEDBACK_PERSONA)["element"]
    fiona = next(o for o in select["options"] if o["text"]["text"] == "Finance Fiona")
    chosen = {"type": "static_select", "selected_option": fiona}
    view["state"] = {"values": {ids.BLOCK_FEEDBACK_PERSONA: {ids.ACTION_FEEDBACK_PERSONA: chosen}}}
    answered_while_held(
        world,
        lambda: world.client.block_action(
            ids.ACTION_FEEDBACK_PERSONA, user_id=REP, view=view, selected_option=fiona["value"]
        ),
        "views.update",
    )


def case_feedback_submission(world: E2E) -> None:
    view = feedback_modal(world)
    answered_while_held(
        world,
        lambda: world.client.view_submission_from(view, {ids.ACTION_FEEDBACK_FIT: "4"}, user_id=REP),
        "chat.postEphemeral",
    )


def case_feedback_edit(world: E2E) -> None:
    assert submit_feedback(world).status == 200
    answered_while_held(
        world,
        lambda: world.client.block_action(ids.ACTION_FEEDBACK_EDIT, feedback_id(world), user_id=REP),
        "views.open",
    )


def case_feedback_delete(world: E2E) -> None:
    assert submit_feedback(world).status == 200
    answered_while_held(
        world,
        lambda: world.client.block_action(ids.ACTION_FEEDBACK_DELETE, feedback_id(world), user_id=REP),
        "response",
    )


def case_checkin_buttons(world: E2E) -> None:
    # No round 999999: each button still answers the person (a private note), after the acknowledgement.
    for button, value in (
        (ids.ACTION_CHECKIN_START, "999999"),
        (ids.ACTION_CHECKIN_SNOOZE, "999999"),
        (ids.ACTION_CHECKIN_SKIP, "999999:on_leave"),
    ):
        answered_while_held(world, lambda b=button, v=value: world.client.block_action(b, v, user_id=REP), "response")


def case_checkin_page(world: E2E) -> None:
    # A page whose metadata is not ours: answered in the acknowledgement (a notice replaces the modal).
    view = {**feedback_modal(world), "callback_id": ids.VIEW_CHECKIN, "private_metadata": "not ours"}
    reply = answered_while_held(world, lambda: world.client.view_submission(view, {}, user_id=REP))
    assert reply.json()["response_action"] == "update"


def case_home(world: E2E) -> None:
    answered_while_held(world, lambda: world.client.app_home_opened(REP), "views.publish")
    answered_while_held(
        world, lambda: world.client.block_action(ids.ACTION_HOME_START_CHECKIN, "999999", user_id=REP), "views.publish"
    )
    answered_while_held(
        world,
        lambda: world.client.block_action(ids.ACTION_HOME_DOWNLOAD_REPORT, "", user_id=MANAGER),
        "conversations.open",
        "chat.postMessage",
    )


def case_edit_pick(world: E2E) -> None:
    answered_while_held(
        world, lambda: world.client.block_action(ids.ACTION_EDIT_PICK, mary_id(world), user_id=OWNER), "views.open"
    )


def case_edit_submission(world: E2E) -> None:
    assert world.client.command("edit mary", user_id=OWNER).status == 200
    view = world.wait_for(lambda: world.standin.last_view(OWNER))
    changes = {action_id("summary"): "Sharper.", action_id("note"): "Sharper summary"}
    answered_while_held(
        world,
        lambda: world.client.view_submission_from(view, changes, user_id=OWNER),
        "chat.postMessage",
    )


def case_review_buttons(world: E2E) -> None:
    # Someone who does not own Mary: a polite refusal, after the acknowledgement.
    for button in (ids.ACTION_REVIEW_ACCURATE, ids.ACTION_REVIEW_RETIRE, ids.ACTION_REVIEW_EDIT):
        answered_while_held(
            world, lambda b=button: world.client.block_action(b, f"{mary_id(world)}:0", user_id=REP), "response"
        )


def case_draft_buttons(world: E2E) -> None:
    # Someone who does not own Mary answers a revision draft: a polite refusal, after the acknowledgement.
    for button in (ids.ACTION_DRAFT_ACCEPT, ids.ACTION_DRAFT_DISMISS):
        value = f"{mary_id(world)}:{'0' * 32}"
        answered_while_held(world, lambda b=button, v=value: world.client.block_action(b, v, user_id=REP), "response")


def admin_form(world: E2E, words: str) -> dict[str, Any]:
    done = opened_modals(world)
    assert world.client.command(words, user_id=ADMIN).status == 200
    world.wait_for(lambda: opened_modals(world) > done)  # that modal is open before anything is held
    view: dict[str, Any] = world.wait_for(lambda: world.standin.last_view(ADMIN))
    return view


def case_roster_and_settings_commands(world: E2E) -> None:
    for words in ("roster", "settings"):
        answered_while_held(world, lambda w=words: world.client.command(w, user_id=ADMIN), "views.open")


def case_doctor_command(world: E2E) -> None:
    reply = answered_while_held(world, lambda: world.client.command("doctor", user_id=ADMIN), "auth.test", "response")
    assert "Checking" in reply.text


def case_roster_form(world: E2E) -> None:
    view = admin_form(world, "roster")
    reply = answered_while_held(world, lambda: world.client.view_submission_from(view, {}, user_id=ADMIN))
    assert reply.json()["response_action"] == "errors"


def case_settings_form(world: E2E) -> None:
    view = admin_form(world, "settings")
    reply = answered_while_held(
        world, lambda: world.client.view_submission_from(view, {settings_action("close_day"): "soon"}, user_id=ADMIN)
    )
    assert reply.json()["response_action"] == "errors"


def case_home_admin_buttons(world: E2E) -> None:
    for button in (ids.ACTION_HOME_ROSTER, ids.ACTION_HOME_SETTINGS):
        answered_while_held(world, lambda b=button: world.client.block_action(b, user_id=ADMIN), "views.open")


def case_dm_messages(world: E2E) -> None:
    # A rep (not a manager) shares a file with the bot: told politely, after the answer. Plain text: nothing to do.
    shared = {"type": "message", "subtype": "file_share", "user": REP, "channel": "D0REP", "channel_type": "im"}
    answered_while_held(world, lambda: world.client.event({**shared, "files": [{"id": "F0DEALS"}]}), "chat.postMessage")
    answered_while_held(world, lambda: world.client.event({"type": "message", "user": REP, "text": "hi"}))


def case_uninstall_events(world: E2E) -> None:
    for kind in ("tokens_revoked", "app_uninstalled"):
        event = {"type": kind, "tokens": {"bot": ["UBOT"]}}
        answered_while_held(world, lambda e=event: world.client.event(e, team_id="T0GONE"))


def case_results_command(world: E2E) -> None:
    submit_feedback(world)  # one rating: the chart has a bar to draw, so the upload follows the answer
    reply = answered_while_held(
        world, lambda: world.client.command("results mary", user_id=ADMIN), "files.completeUploadExternal"
    )
    assert "Results: Marketing Director Mary" in str(reply.json()["blocks"])


def case_results_buttons(world: E2E) -> None:
    mary = mary_id(world)
    answered_while_held(
        world,
        lambda: world.client.block_action(ids.ACTION_RESULTS_OPEN, mary, user_id=ADMIN),
        "conversations.open",
        "chat.postMessage",
    )
    answered_while_held(
        world, lambda: world.client.block_action(ids.ACTION_RESULTS_HISTORY, mary, user_id=REP), "response"
    )
    answered_while_held(  # a rep is not Mary's owner: told so in a DM, after the answer
        world,
        lambda: world.client.block_action(ids.ACTION_HOME_STILL_ACCURATE, mary, user_id=REP, response_url=False),
        "chat.postMessage",
    )


CASES: dict[str, Case] = {
    "command:lookup": case_lookup,
    "command:,help,list,history,reviews,checkin": case_answered_in_the_acknowledgement,
    "command:feedback": case_feedback_command,
    "command:edit+new": case_edit_command,
    "command:report": case_report_command,
    ids.ACTION_SHARE_CARD: case_share,
    ids.ACTION_PICK_PERSONA: case_pick,
    ids.ACTION_GIVE_FEEDBACK: case_give_feedback,
    ids.SHORTCUT_LOG_FEEDBACK: case_shortcut,
    ids.ACTION_FEEDBACK_PERSONA: case_persona_switch,
    ids.VIEW_FEEDBACK: case_feedback_submission,
    ids.ACTION_FEEDBACK_EDIT: case_feedback_edit,
    ids.ACTION_FEEDBACK_DELETE: case_feedback_delete,
    f"{ids.ACTION_CHECKIN_START},{ids.ACTION_CHECKIN_SNOOZE},{ids.ACTION_CHECKIN_SKIP}": case_checkin_buttons,
    ids.VIEW_CHECKIN: case_checkin_page,
    f"{ids.EVENT_APP_HOME_OPENED},{ids.ACTION_HOME_START_CHECKIN},{ids.ACTION_HOME_DOWNLOAD_REPORT}": case_home,
    ids.ACTION_EDIT_PICK: case_edit_pick,
    ids.VIEW_EDIT_PERSONA: case_edit_submission,
    f"{ids.ACTION_REVIEW_ACCURATE},{ids.ACTION_REVIEW_RETIRE},{ids.ACTION_REVIEW_EDIT}": case_review_buttons,
    f"{ids.ACTION_DRAFT_ACCEPT},{ids.ACTION_DRAFT_DISMISS}": case_draft_buttons,
    "tokens_revoked,app_uninstalled": case_uninstall_events,
    "command:roster+settings": case_roster_and_settings_commands,
    "command:doctor": case_doctor_command,
    ids.VIEW_ROSTER: case_roster_form,
    ids.VIEW_SETTINGS: case_settings_form,
    f"{ids.ACTION_HOME_ROSTER},{ids.ACTION_HOME_SETTINGS}": case_home_admin_buttons,
    "{'type': 'message', 'subtype': 'file_share'},message": case_dm_messages,
    "command:results": case_results_command,
    f"{ids.ACTION_RESULTS_OPEN},{ids.ACTION_RESULTS_HISTORY},{ids.ACTION_HOME_STILL_ACCURATE}": case_results_buttons,
}


@pytest.mark.parametrize("listener", list(CASES))
def test_the_answer_comes_before_any_slack_work(world: E2E, listener: str) -> None:
    CASES[listener](world)


class _Registrations:
    """Stands in for Bolt's App inside create_app and records what each module registers."""

    def __init__(self, **_settings: Any) -> None:
        self.names: set[str] = set()

    def _record(self, name: object) -> Callable[..., Any]:
        self.names.add(str(name))
        return lambda *args, **kwargs: args[0] if args else None

    def command(self, name: str) -> Callable[..., Any]:
        return self._record(f"command:{name}")

    def action(self, name: str) -> Callable[..., Any]:
        return self._record(name)

    view = shortcut = event = action

    def use(self, *_args: Any) -> None:
        pass

    def error(self, *_args: Any) -> None:
        pass


def test_every_registered_listener_has_a_case(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A listener added without a case here would go unchecked: add its case to CASES."""
    monkeypatch.setattr("bot.app.PersonaBotApp", _Registrations)
    settings = Settings(slack_bot_token=BOT_TOKEN, slack_signing_secret=SIGNING_SECRET)
    engine = make_engine(f"sqlite:///{tmp_path / 'registrations.db'}")
    with ThreadPoolExecutor(max_workers=1) as pool:
        app: Any = create_app(settings, Services.build(settings, make_session_factory(engine), pool))
    # keys list listener names with commas; an event constraint such as {'type': 'message', …} keeps its own
    covered = {name for key in CASES if not key.startswith("command:") for name in re.split(r",(?![^{]*})", key)}
    assert app.names == {*covered, f"command:{ids.COMMAND}"}
    subcommands = {w for key in CASES if key.startswith("command:") for w in key[8:].replace("+", ",").split(",")}
    assert set(routes()) <= subcommands, "every /persona subcommand has a case"
