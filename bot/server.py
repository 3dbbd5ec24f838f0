"""The WSGI application behind `persona-bot serve`: Slack's endpoint, a health check, one log line per request."""

from __future__ import annotations

import io
import json
import logging
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from slack_bolt import App, BoltContext
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_bolt.adapter.wsgi.http_request import WsgiHttpRequest
from slack_bolt.request import BoltRequest
from slack_bolt.request.internals import build_context, extract_content_type
from slack_bolt.response import BoltResponse
from slack_sdk.signature import SignatureVerifier
from sqlalchemy import Engine, text

from bot import request_log
from bot.listeners.requests import BadRequest, check_body

if TYPE_CHECKING:
    from wsgiref.types import StartResponse, WSGIEnvironment

log = logging.getLogger("persona_bot.http")

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
MAX_BODY_BYTES = 1_000_000  # Slack's payloads are far smaller; anything bigger is not from Slack

WSGIApp = Callable[["WSGIEnvironment", "StartResponse"], Iterable[bytes]]
CHECKED_BODY = "persona_bot.checked_body"  # the WSGI environ key for the body the door parsed and checked


class _CheckedBodyHandler(SlackRequestHandler):
    """Bolt's WSGI adapter, handing Bolt the body our door already parsed and checked rather than parsing it again.

    A view submission's body is the whole form, URL-encoded: parsing it costs about a millisecond and a half,
    and in a burst of submissions the second parse was a fifth of the server's CPU. Bolt still gets the raw body,
    and checks its signature over it as before.
    """

    def dispatch(self, request: WsgiHttpRequest) -> BoltResponse:
        checked = request.environ.get(CHECKED_BODY)
        if checked is None:
            return super().dispatch(request)
        bolt_request = BoltRequest(body="", query=request.query_string, headers=request.get_headers())
        bolt_request.raw_body = request.get_body()
        bolt_request.body = checked
        bolt_request.context = build_context(BoltContext(), checked)
        return self.app.dispatch(bolt_request)


def _reply(
    start_response: StartResponse, status: int, body: dict[str, Any] | str, headers: list[tuple[str, str]] | None = None
) -> list[bytes]:
    reasons = {
        200: "OK",
        400: "Bad Request",
        401: "Unauthorized",
        404: "Not Found",
        405: "Method Not Allowed",
        413: "Payload Too Large",
        500: "Internal Server Error",
        503: "Service Unavailable",
    }
    if isinstance(body, dict):
        data, content_type = json.dumps(body).encode(), "application/json"
    else:
        data, content_type = body.encode(), "text/plain; charset=utf-8"
    start_response(
        f"{status} {reasons.get(status, 'Error')}",
        [("Content-Type", content_type), ("Content-Length", str(len(data))), *(headers or [])],
    )
    return [data]


class PersonaBotWSGI:
    """Routes `/slack/events` to Bolt after our own cheap checks; `/healthz` asks the database."""

    def __init__(self, app: App, engine: Engine, signing_secret: str, extra_routes: dict[str, WSGIApp] | None = None):
        self._bolt = _CheckedBodyHandler(app, path=EVENTS_PATH)
        self._engine = engine
        self._verifier = SignatureVerifier(signing_secret)
        self._extra_routes = extra_routes or {}

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        started = time.perf_counter()
        info = request_log.begin()
        status_holder: list[int] = [0]

        def recording_start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            status_holder[0] = int(status.split(" ", 1)[0])
            return start_response(status, headers, exc_info)

        try:
            return self._route(environ, recording_start_response)
        except Exception:
            log.exception("request failed", extra={"path": environ.get("PATH_INFO")})
            return _reply(recording_start_response, 500, {"ok": False, "error": "internal_error"})
        finally:
            log.info(
                "request",
                extra={
                    "method": environ.get("REQUEST_METHOD"),
                    "path": environ.get("PATH_INFO"),
                    "status": status_holder[0],
                    "ms": round((time.perf_counter() - started) * 1000, 2),
                    **info,
                },
            )

    def _route(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO") or "/"
        method = environ.get("REQUEST_METHOD", "GET")
        if path == HEALTH_PATH:
            return self._health(start_response)
        if path == EVENTS_PATH:
            if method != "POST":
                return _reply(start_response, 405, {"ok": False, "error": "method_not_allowed"}, [("Allow", "POST")])
            return self._events(environ, start_response)
        if path in self._extra_routes:
            return self._extra_routes[path](environ, start_response)
        return _reply(start_response, 404, {"ok": False, "error": "not_found"})

    def _health(self, start_response: StartResponse) -> list[bytes]:
        try:
            with self._engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except Exception as error:
            log.warning("health check: database unavailable (%s)", type(error).__name__)
            return _reply(start_response, 503, {"ok": False, "database": "unavailable"})
        return _reply(start_response, 200, {"ok": True, "database": "ok"})

    def _events(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return _reply(start_response, 400, {"ok": False, "error": "bad_content_length"})
        if length > MAX_BODY_BYTES:
            return _reply(start_response, 413, {"ok": False, "error": "too_large"})
        body = environ["wsgi.input"].read(length) if length else b""
        timestamp = environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP", "")
        signature = environ.get("HTTP_X_SLACK_SIGNATURE", "")
        # Checked here first so unsigned, replayed or malformed requests never reach a parser: always 401.
        if not timestamp.isdigit() or not self._signed(body, timestamp, signature):
            request_log.note(outcome="invalid_signature")
            return _reply(start_response, 401, {"ok": False, "error": "invalid_request"})
        try:
            # Shapes are checked before Bolt sees the body: a wrong one can't trip Bolt or a listener (4xx, not 5xx).
            content_type = extract_content_type({"content-type": [environ.get("CONTENT_TYPE") or ""]})
            checked = check_body(body.decode("utf-8"), content_type)
        except (BadRequest, UnicodeDecodeError) as error:
            log.warning("malformed Slack request: %s", error)
            request_log.note(outcome="malformed")
            return _reply(start_response, 400, {"ok": False, "error": "malformed_body"})
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        environ[CHECKED_BODY] = checked
        try:
            return self._bolt(environ, start_response)
        except (ValueError, KeyError, TypeError, AttributeError, IndexError, OverflowError, RecursionError) as error:
            # A signed body that Bolt cannot parse (truncated JSON, wrong shape): the sender's fault, not ours.
            log.warning("malformed Slack request: %s", type(error).__name__)
            request_log.note(outcome="malformed")
            return _reply(start_response, 400, {"ok": False, "error": "malformed_body"})

    def _signed(self, body: bytes, timestamp: str, signature: str) -> bool:
        try:
            return self._verifier.is_valid(body, timestamp, signature)
        except UnicodeDecodeError:  # Slack only sends UTF-8; the verifier decodes before hashing
            return False
