"""Answer Slack in the request thread; call Slack only after the answer.

The app runs with Bolt's `process_before_response=True`: a listener runs in the HTTP request thread and what it
passes to `ack()` *is* the HTTP response, sent as soon as the listener returns. Nothing waits for Bolt's 10 ms
polling step, so a lookup answers in the time it costs. The price: a listener must not call Slack, or do anything
slow, before it returns (Slack shows the person an error after 3 s, and a trigger id expires 3 s after the click).
Two wrappers, used at registration, keep each listener's own code as it was:

- `ack_then(handler)`: the handler acks first and then works (opens a modal, posts, updates a message). The
  wrapper acknowledges at once and runs the whole handler after the answer; the handler's own `ack()` is a no-op.
- `answering(listener)`: the listener answers with what it computed (a lookup card, inline form errors). It runs
  in the request thread; whatever it hands to `after_ack(fn, *args)` runs once it has returned.

Follow-ups run on Bolt's listener pool (the pool Bolt gives lazy listeners, `PERSONA_BOT_LISTENER_THREADS`), not on
`services.background`, so a queue of report builds never holds up a modal whose trigger is about to expire. An
exception in a follow-up lands in `handle_error`, like one in a listener. Outside a wrapped listener (a unit test
calling a handler, a job) `after_ack` simply runs the call.
"""

from __future__ import annotations

import functools
import inspect
import logging
from collections.abc import Callable
from concurrent.futures import Executor
from contextvars import ContextVar
from typing import Any

from slack_bolt import Ack, BoltContext, Respond
from slack_bolt.kwargs_injection.args import Args
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.webhook import WebhookClient

from bot.blocks.common import Message
from bot.blocks.persona import build_message, build_text
from bot.listeners.requests import CommandHandler, CommandRequest, parse_action
from bot.render import render_part
from bot.request_log import describe_request, note
from bot.services import Services

log = logging.getLogger("persona_bot.app")

FollowUp = Callable[[], object]
_pending: ContextVar[list[FollowUp] | None] = ContextVar("persona_bot_after_ack", default=None)

# What our listeners ask Bolt for; a wrapper passes each listener the subset its signature names. `services` is
# the app's, put into every request's context by one middleware (`bot.app`).
_BOLT_ARGUMENTS = ("ack", "body", "client", "respond", "context", "logger", "services")


def after_ack(fn: Callable[..., object], /, *args: Any, **kwargs: Any) -> None:
    """Run `fn(*args, **kwargs)` after the current listener has answered Slack (at once outside a listener)."""
    pending = _pending.get()
    if pending is None:
        fn(*args, **kwargs)
    else:
        pending.append(functools.partial(fn, *args, **kwargs))


def after_answer(handler: CommandHandler) -> CommandHandler:
    """A subcommand that acks at once and then opens a modal or posts: acknowledged now, the handler runs after."""

    def acknowledge_first(
        req: CommandRequest, services: Services, ack: Ack, client: WebClient, respond: Respond
    ) -> None:
        ack()
        after_ack(handler, req, services, Ack(), client, respond)  # the handler's own ack() is then a no-op

    return acknowledge_first


def open_or_explain(view: dict[str, Any] | Message, client: WebClient, trigger_id: str, respond: Respond) -> None:
    """Open a modal, or tell the person privately why not (after a button's answer: the ack is spent)."""
    if isinstance(view, Message):
        respond(response_type="ephemeral", replace_original=False, **view.fields())
    else:
        client.views_open(trigger_id=trigger_id, view=view)


def open_from_home(allowed: bool, open_modal: Callable[[], object], what: str) -> None:
    """A Home button's modal, for those the button is drawn for (a replayed click from anyone else does nothing);
    the Home tab has nowhere to say that Slack refused it, so the log does."""
    if not allowed:
        return
    try:
        open_modal()
    except SlackApiError as error:
        log.warning("could not open the %s modal (%s)", what, error.response.get("error"))


def admins_modal(
    part: str,
    allowed: Callable[[Services, str, str], bool],
    open_modal: Callable[[Services, WebClient, str, str], None],
) -> tuple[CommandHandler, Callable[..., None]]:
    """The slash command and the Home button that open an admins' modal (`open_modal`: services, client, team,
    trigger); anyone else gets `part`'s admins_only from the command, and nothing from a replayed click."""

    def command(req: CommandRequest, services: Services, ack: Ack, client: WebClient, respond: Respond) -> None:
        if not allowed(services, req.team_id, req.user_id):
            ack(response_type="ephemeral", **build_message(part, "admins_only"))
            return
        ack()
        # The trigger expires 3 s after the command: the modal opens right after the answer.
        opening = functools.partial(open_modal, services, client, req.team_id, req.trigger_id)
        after_ack(modal_or_apology, opening, respond, build_text("roster", "form_failed"))

    def home(ack: Ack, body: dict[str, Any], client: WebClient, services: Services) -> None:
        ack()
        req = parse_action(body)
        may = allowed(services, req.team_id, req.user_id)
        open_from_home(may, lambda: open_modal(services, client, req.team_id, req.trigger_id), part)

    command.__name__ = command.__qualname__ = f"handle_{part}"
    home.__name__ = home.__qualname__ = f"handle_home_{part}"
    return command, home


def modal_or_apology(open_modal: Callable[[], object], respond: Respond, apology: list[dict[str, Any]]) -> None:
    """Open a modal after the answer; when Slack refuses, tell the person privately (the answer is already spent)."""
    try:
        open_modal()
    except SlackApiError as error:
        log.warning("could not open a modal (%s)", error.response.get("error"))
        respond(
            response_type="ephemeral", replace_original=False, blocks=apology, text=render_part("fallbacks", "retry")
        )


def answering(listener: Callable[..., None]) -> Callable[..., None]:
    """A Bolt listener that runs `listener` in the request thread, then its `after_ack` calls."""
    wanted = _argument_names(listener)

    def answer_in_request(args: Args) -> None:  # Bolt's name: all of a listener's arguments
        given = _given(args, args.ack)
        pending: list[FollowUp] = []
        token = _pending.set(pending)
        try:
            listener(**{name: given[name] for name in wanted})
        finally:
            _pending.reset(token)
        if pending:
            _follow_ups(args.context).submit(run_follow_ups, pending, args.body, args.logger)

    return _named(answer_in_request, listener)


def ack_then(handler: Callable[..., None]) -> Callable[..., None]:
    """A Bolt listener that acknowledges at once and runs all of `handler` after the answer."""
    wanted = _argument_names(handler)

    def ack_then_work(args: Args) -> None:  # Bolt's name: all of a listener's arguments
        args.ack()
        # The real ack is spent: the handler's own ack() goes to a fresh Ack that nobody reads.
        given = _given(args, Ack())
        work = functools.partial(handler, **{name: given[name] for name in wanted})
        _follow_ups(args.context).submit(run_follow_ups, [work], args.body, args.logger)

    return _named(ack_then_work, handler)


def run_follow_ups(follow_ups: list[FollowUp], body: dict[str, Any], logger: logging.Logger) -> None:
    for follow_up in follow_ups:
        try:
            follow_up()
        except Exception as error:  # the same landing place as an error inside a listener
            handle_error(error, body, logger)


def handle_error(error: Exception, body: dict[str, Any], logger: logging.Logger) -> None:
    """The one place unexpected errors land: log with the traceback, tell the person plainly."""
    log.exception("listener failed: %s", type(error).__name__, extra=describe_request(body), exc_info=error)
    note(outcome="error")
    response_url = body.get("response_url") or next(
        (r.get("response_url") for r in body.get("response_urls") or [] if r.get("response_url")), None
    )
    if response_url:
        try:
            WebhookClient(response_url, timeout=5).send(
                response_type="ephemeral",
                replace_original=False,
                **build_message("errors", "unexpected"),
            )
        except Exception:  # the original error is already logged; a second failure must not hide it
            log.warning("could not tell the person about the error", exc_info=True)


def _given(args: Args, ack: Ack) -> dict[str, Any]:
    given = {"ack": ack, "body": args.body, "client": args.client, "respond": args.respond, "logger": args.logger}
    return {**given, "context": args.context, "services": args.context.get("services")}


def _follow_ups(context: BoltContext) -> Executor:
    # Bolt's listener pool: with process_before_response it runs nothing else but lazy listeners.
    executor: Executor = context.listener_runner.listener_executor
    return executor


def _argument_names(fn: Callable[..., Any]) -> list[str]:
    names = list(inspect.signature(fn).parameters)
    unknown = [name for name in names if name not in _BOLT_ARGUMENTS]
    if unknown:
        raise TypeError(
            f"{getattr(fn, '__qualname__', fn)} asks for {unknown}; a listener may ask for {_BOLT_ARGUMENTS}"
        )
    return names


def _named(wrapper: Callable[..., None], inner: Callable[..., Any]) -> Callable[..., None]:
    """Bolt logs a listener by its function name: show the wrapped handler's, not the wrapper's."""
    name = getattr(inner, "__name__", "listener")
    wrapper.__name__ = wrapper.__qualname__ = f"{wrapper.__name__}[{name}]"
    return wrapper


__all__ = [
    "ack_then",
    "admins_modal",
    "after_ack",
    "after_answer",
    "answering",
    "handle_error",
    "open_from_home",
    "open_or_explain",
    "run_follow_ups",
]
