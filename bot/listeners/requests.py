"""Slack's payloads as typed values: checked at the door, before Bolt or any listener reads them.

`check_body(raw, content_type)` is what the WSGI layer (`bot.server`) runs on every signed request: it limits the
body's JSON nesting, parses it the way Bolt will, and validates the shape of everything a listener reads with
pydantic models (strict types: a string where an object belongs is refused, not coerced). A request that fails
gets a 400 and never reaches Bolt, so a wrong shape can't become an IndexError inside Bolt or a half-written
record in a listener. Listeners then read the same models (`Interaction.of`, `Command.of`, `EventEnvelope.of`).

Shapes only: values (ids, metadata, channels) are still hints for the services to look up (`bot.untrusted`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from itertools import accumulate
from typing import Annotated, Any, Literal
from urllib.parse import parse_qsl

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, model_validator
from slack_bolt import Ack, Respond
from slack_sdk import WebClient

from bot.services import Services

MAX_JSON_DEPTH = 48  # Slack's deepest real payloads (a view's rich text inside its state) stay well under 20
MAX_ACTIONS = 25
MAX_OPTIONS = 100

SlackId = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")]
TeamId = Annotated[str, StringConstraints(max_length=32, pattern=r"^[TE][A-Z0-9]{2,}$")]  # a workspace or org
UserId = Annotated[str, StringConstraints(max_length=32, pattern=r"^[UW][A-Z0-9]{2,}$")]
ShortText = Annotated[str, StringConstraints(max_length=255)]
Value = Annotated[str, StringConstraints(max_length=2000)]
TypedText = Annotated[str, StringConstraints(max_length=20_000)]  # the app says "too long" itself past 3,000
Url = Annotated[str, StringConstraints(max_length=2048)]
Metadata = Annotated[str, StringConstraints(max_length=3000)]


class _Model(BaseModel):
    model_config = ConfigDict(strict=True, extra="allow", frozen=True)


class Team(_Model):
    id: TeamId | None = None


class User(_Model):
    id: UserId
    team_id: TeamId | None = None


class Channel(_Model):
    id: SlackId | None = None


class Option(_Model):
    value: Value
    text: dict[str, Any] | None = None


class ElementState(_Model):
    """One input's state in `view.state.values[block_id][action_id]`."""

    type: ShortText | None = None
    value: TypedText | None = None
    selected_option: Option | None = None
    selected_options: Annotated[list[Option], Field(max_length=MAX_OPTIONS)] | None = None
    selected_user: SlackId | None = None
    selected_users: list[SlackId] | None = None
    selected_channel: SlackId | None = None
    selected_conversation: SlackId | None = None
    selected_date: ShortText | None = None
    selected_time: ShortText | None = None
    rich_text_value: dict[str, Any] | None = None


StateValues = dict[ShortText, dict[ShortText, ElementState]]


class ViewState(_Model):
    values: StateValues = Field(default_factory=dict)


class View(_Model):
    id: SlackId | None = None
    hash: ShortText | None = None
    type: ShortText | None = None
    callback_id: ShortText | None = None
    private_metadata: Metadata | None = None
    state: ViewState | None = None
    blocks: list[dict[str, Any]] | None = None
    team_id: SlackId | None = None

    @property
    def values(self) -> StateValues:
        return self.state.values if self.state is not None else {}


class Action(_Model):
    action_id: ShortText
    block_id: ShortText | None = None
    type: ShortText | None = None
    value: Value | None = None
    selected_option: Option | None = None
    selected_options: Annotated[list[Option], Field(max_length=MAX_OPTIONS)] | None = None
    selected_user: SlackId | None = None

    @property
    def chosen(self) -> str:
        """The button's value, or the selected option's value ("" when there is neither)."""
        if self.value is not None:
            return self.value
        return self.selected_option.value if self.selected_option is not None else ""


class Container(_Model):
    type: ShortText | None = None
    message_ts: ShortText | None = None
    channel_id: SlackId | None = None
    view_id: SlackId | None = None


class Message(_Model):
    ts: ShortText | None = None
    text: TypedText | None = None
    blocks: list[dict[str, Any]] | None = None


class Interaction(_Model):
    """Any interactivity payload (`block_actions`, `view_submission`, `view_closed`, shortcuts)."""

    type: Literal["block_actions", "view_submission", "view_closed", "message_action", "shortcut"]
    team: Team | None = None
    user: User
    actions: Annotated[list[Action], Field(min_length=1, max_length=MAX_ACTIONS)] | None = None
    callback_id: ShortText | None = None
    trigger_id: ShortText | None = None
    response_url: Url | None = None
    response_urls: list[dict[str, Any]] | None = None
    channel: Channel | None = None
    container: Container | None = None
    message: Message | None = None
    message_ts: ShortText | None = None
    view: View | None = None
    state: ViewState | None = None

    @model_validator(mode="after")
    def _complete(self) -> Interaction:
        if not self.team_id:
            raise ValueError("no workspace")
        if self.type == "block_actions" and not self.actions:
            raise ValueError("block_actions without actions")
        if self.type in ("view_submission", "view_closed") and (self.view is None or not self.view.callback_id):
            raise ValueError("a view payload without its view")
        if self.type in ("message_action", "shortcut") and not self.callback_id:
            raise ValueError("a shortcut without its callback id")
        return self

    @classmethod
    def of(cls, body: dict[str, Any]) -> Interaction:
        return cls.model_validate(body)

    @property
    def team_id(self) -> str:
        return (self.team.id if self.team is not None else None) or self.user.team_id or ""

    @property
    def user_id(self) -> str:
        return self.user.id

    @property
    def action(self) -> Action | None:
        return self.actions[0] if self.actions else None

    @property
    def value(self) -> str:
        return self.action.chosen if self.action is not None else ""

    @property
    def channel_id(self) -> str | None:
        return self.channel.id if self.channel is not None else None


class Command(_Model):
    """A slash command (form fields, always strings)."""

    command: ShortText
    text: TypedText = ""
    team_id: TeamId
    user_id: UserId
    channel_id: Annotated[str, StringConstraints(max_length=64)] = ""
    trigger_id: ShortText = ""
    response_url: Url = ""

    @classmethod
    def of(cls, body: dict[str, Any]) -> Command:
        return cls.model_validate(body)


class CommandRequest(Command):
    """A slash command as the router reads it: `text` with its spaces collapsed, then subcommand and args."""

    @property
    def subcommand(self) -> str:
        """The first word, lower-cased ("" for a bare `/persona`)."""
        return self.text.partition(" ")[0].lower()

    @property
    def args(self) -> str:
        """The rest after the first word."""
        return self.text.partition(" ")[2]


def parse_command(body: dict[str, Any]) -> CommandRequest:
    command = CommandRequest.model_validate(body)  # typed at the door, like every payload
    return command.model_copy(update={"text": " ".join(command.text.split())})


# A `/persona` subcommand's handler; each feature exports its own as COMMANDS (`bot.listeners.commands.routes`).
CommandHandler = Callable[[CommandRequest, Services, Ack, WebClient, Respond], None]


@dataclass(frozen=True)
class ActionRequest:
    team_id: str
    user_id: str
    channel_id: str | None
    value: str
    trigger_id: str


def parse_action(body: dict[str, Any]) -> ActionRequest:
    """Any interaction's who and where, with the trigger as a string (empty when there is none)."""
    request = Interaction.of(body)
    return ActionRequest(
        team_id=request.team_id,
        user_id=request.user_id,
        channel_id=request.channel_id,
        value=request.value,
        trigger_id=request.trigger_id or "",
    )


class Event(_Model):
    type: ShortText
    user: SlackId | None = None
    tab: ShortText | None = None
    channel: SlackId | None = None
    view: dict[str, Any] | None = None
    tokens: dict[str, list[str]] | None = None


class EventEnvelope(_Model):
    type: Literal["event_callback"]
    team_id: TeamId
    event: Event
    event_id: ShortText | None = None

    @classmethod
    def of(cls, body: dict[str, Any]) -> EventEnvelope:
        return cls.model_validate(body)


class UrlVerification(_Model):
    type: Literal["url_verification"]
    challenge: ShortText


# A JSON string, escapes and all (the unrolled form: linear, no backtracking), and a run of anything but brackets.
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKETS = re.compile(r"[^\[\]{}]+")
_NESTING = {"[": 1, "{": 1, "]": -1, "}": -1}


def too_deep(text: str, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether JSON `text` nests deeper than `limit` (checked before parsing: json.loads recurses).

    Strings go first (a bracket inside one nests nothing), then everything but brackets; the deepest point is the
    running sum of what is left. All of it runs inside `re` and `itertools`: a feedback form's payload takes a
    fraction of a millisecond.
    """
    brackets = _NOT_BRACKETS.sub("", _STRING.sub("", text))
    return max(accumulate(map(_NESTING.__getitem__, brackets)), default=0) > limit


class BadRequest(ValueError):
    """A signed request whose body is not a shape Slack sends: answered 400, never handed to Bolt."""


def _json(text: str) -> dict[str, Any]:
    if too_deep(text):
        raise BadRequest("nested too deeply")
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as error:
        raise BadRequest("not JSON") from error
    if not isinstance(data, dict):
        raise BadRequest("not a JSON object")
    return data


def parse_body(raw: str, content_type: str | None) -> dict[str, Any]:
    """The body as Bolt will read it (`slack_bolt.request.internals.parse_body`), with JSON depth limited."""
    if not raw:
        return {}
    if content_type == "application/json" or raw.startswith("{"):
        return _json(raw)
    params = dict(parse_qsl(raw, keep_blank_values=True))
    if "payload" in raw:
        payload = params.get("payload")
        return _json(payload) if payload is not None else {}
    return params


def check_body(raw: str, content_type: str | None) -> dict[str, Any]:
    """Parse and validate a signed request's body; raises BadRequest for anything a listener could trip on."""
    body = parse_body(raw, content_type)
    check_payload(body)
    return body


def check_payload(body: dict[str, Any]) -> None:
    """Validate an already parsed payload (Socket Mode hands Bolt parsed bodies); raises BadRequest."""
    try:
        if "command" in body:
            Command.of(body)
        elif body.get("ssl_check"):
            pass
        elif body.get("type") == "event_callback":
            EventEnvelope.of(body)
        elif body.get("type") == "url_verification":
            UrlVerification.model_validate(body)
        else:
            Interaction.of(body)
    except ValidationError as error:
        problems = error.errors()
        where = ".".join(str(part) for part in problems[0]["loc"]) if problems else ""
        raise BadRequest(f"unexpected shape at {where or 'top level'}") from None


__all__ = [
    "Action",
    "ActionRequest",
    "BadRequest",
    "Command",
    "CommandHandler",
    "CommandRequest",
    "ElementState",
    "EventEnvelope",
    "Interaction",
    "StateValues",
    "View",
    "check_body",
    "check_payload",
    "parse_action",
    "parse_body",
    "parse_command",
    "too_deep",
]
