"""Serving Slack: `serve` (HTTP, production) and `socket` (Socket Mode, development)."""

from __future__ import annotations

import contextlib
import logging
import signal
import time

import click
from slack_sdk.errors import SlackApiError, SlackClientError

from bot import render
from bot.cli.root import CLIError, Runtime, cli, friendly_errors, pass_runtime
from bot.cli.slack_check import SlackWatch, refusal, retry_delays, unreachable_line, wait_for_slack
from bot.doctor import unreachable_reason
from bot.services.doctor import TokenAnswer

log = logging.getLogger("persona_bot")


@cli.command("serve")
@click.option("--host", default="0.0.0.0", show_default=True)
@click.option("--port", type=int, help="Port to listen on (default: $PORT, else 3000).")
@click.option("--threads", default=16, show_default=True, help="HTTP worker threads.")
@pass_runtime
@friendly_errors
def serve(runtime: Runtime, host: str, port: int | None, threads: int) -> None:
    """Serve Slack's HTTP requests: POST /slack/events, GET /healthz."""
    import waitress

    from bot.app import create_app
    from bot.server import PersonaBotWSGI

    settings = runtime.settings
    runtime.serving_threads = threads  # before the engine is built: its pool covers the HTTP threads too
    # Bolt would start without a signing secret and answer 500 to everything: refuse instead.
    settings.require("SLACK_SIGNING_SECRET", command="serve")
    if not settings.oauth_enabled:
        settings.require("SLACK_BOT_TOKEN", command="serve")
    port = settings.port if port is None else port
    watch = SlackWatch(settings)
    if not settings.oauth_enabled:
        watch.start()  # a refused bot token stops here, in one line; an unreachable Slack is checked again
    app = create_app(settings, runtime.services)
    extra_routes = None
    if settings.oauth_enabled:
        from bot.slack.oauth import oauth_routes

        extra_routes = oauth_routes(app)  # GET /slack/install and /slack/oauth_redirect
    wsgi = PersonaBotWSGI(app, runtime.engine, settings.slack_signing_secret or "", extra_routes=extra_routes)
    try:
        server = waitress.create_server(wsgi, host=host, port=port, threads=threads, ident="persona-bot")
    except OSError as error:
        raise CLIError(f"cannot listen on {host}:{port} ({error.strerror or error})") from None
    # A platform's SIGTERM (deploys, scale-downs) ends the loop like Ctrl-C does, instead of killing the process.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    render.warm()
    log.info("serving", extra={"host": host, "port": port})
    with contextlib.suppress(KeyboardInterrupt):
        server.run()
    server.close()
    log.info("stopped")
    if watch.refused:
        raise CLIError(watch.refused)


@cli.command("socket")
@pass_runtime
@friendly_errors
def socket(runtime: Runtime) -> None:
    """Socket Mode, for development without a public URL."""
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    from bot.app import create_app

    settings = runtime.settings
    settings.require("SLACK_APP_TOKEN", command="socket")
    settings.require("SLACK_BOT_TOKEN", command="socket")
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # a stop while retrying is as clean as Ctrl-C
    with contextlib.suppress(KeyboardInterrupt):
        wait_for_slack(settings, app_token=True)  # refusals stop here in one line; an outage is retried
        handler = SocketModeHandler(create_app(settings, runtime.services), settings.slack_app_token)
        for delay in retry_delays():
            try:
                handler.start()  # blocks while connected
                return
            except SlackApiError as error:  # apps.connections.open refused the app token after all
                raise CLIError(refusal(TokenAnswer("app", error=str(error.response.get("error"))))) from None
            except (SlackClientError, OSError) as error:  # e.g. the WebSocket could not be opened
                reason = TokenAnswer("app", unreachable=unreachable_reason(error), url=settings.slack_api_url)
                click.echo(unreachable_line(reason, delay), err=True)
                time.sleep(delay)
