"""Before `serve` and `socket` take traffic: Slack must accept their tokens.

A refusal (`invalid_auth`, `token_revoked`, …) stops the command with one line saying what to fix, and exit 1.
Slack being unreachable is not the token's fault: `socket` says so and retries with a growing pause; `serve` says
so, serves anyway (Slack will retry its requests) and keeps checking in the background.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable, Iterator

import click

from bot.cli.doctor import plain
from bot.cli.root import CLIError
from bot.config import Settings
from bot.doctor import probe_app_token, probe_bot_token
from bot.render import render_part
from bot.services.doctor import TokenAnswer
from bot.slack.clients import make_web_client

RETRY_DELAYS = (2, 4, 8, 15, 30)  # seconds, then every 30 s


def retry_delays() -> Iterator[int]:
    yield from RETRY_DELAYS
    while True:
        yield RETRY_DELAYS[-1]


def refusal(answer: TokenAnswer) -> str:
    return plain(render_part("doctor", "refused", answer.kind, answer.error))


def unreachable_line(answer: TokenAnswer, retry_seconds: int) -> str:
    return plain(render_part("doctor", "unreachable", answer.url, answer.unreachable, retry_seconds))


def probe(settings: Settings, *, app_token: bool) -> TokenAnswer | None:
    """The first token Slack refuses or can't be asked about, else None (both work)."""
    answers: list[Callable[[], TokenAnswer]] = [lambda: probe_bot_token(make_web_client(settings))]
    if app_token:
        answers.append(lambda: probe_app_token(settings))
    for ask in answers:
        answer = ask()
        if not answer.works:
            return answer
    return None


def wait_for_slack(settings: Settings, *, app_token: bool, sleep: Callable[[float], None] = time.sleep) -> None:
    """Return once Slack accepts the tokens; CLIError on a refusal; a line per retry while Slack is unreachable."""
    for delay in retry_delays():
        problem = probe(settings, app_token=app_token)
        if problem is None:
            return
        if problem.error is not None:
            raise CLIError(refusal(problem))
        click.echo(unreachable_line(problem, delay), err=True)
        sleep(delay)


class SlackWatch:
    """`serve`: check the bot token now; if Slack is unreachable, keep checking in a thread while serving.

    A refusal found later stops the server (as Ctrl-C would) and `refused` says why, for the exit.
    """

    def __init__(self, settings: Settings, sleep: Callable[[float], None] = time.sleep) -> None:
        self._settings = settings
        self._sleep = sleep
        self.refused: str | None = None

    def start(self) -> None:
        problem = probe(self._settings, app_token=False)
        if problem is None:
            return
        if problem.error is not None:
            raise CLIError(refusal(problem))
        delays = retry_delays()
        first = next(delays)
        click.echo(unreachable_line(problem, first) + " (serving meanwhile)", err=True)
        thread = threading.Thread(target=self._watch, args=(first, delays), name="slack-watch", daemon=True)
        thread.start()

    def _watch(self, first: int, delays: Iterator[int]) -> None:
        delay = first
        while True:
            self._sleep(delay)
            problem = probe(self._settings, app_token=False)
            if problem is None:
                click.echo("Slack is reachable again and accepts the bot token", err=True)
                return
            if problem.error is not None:
                self.refused = refusal(problem)  # `serve` says it as it exits
                os.kill(os.getpid(), signal.SIGTERM)  # `serve` turns SIGTERM into a clean stop
                return
            delay = next(delays)
            click.echo(unreachable_line(problem, delay), err=True)
