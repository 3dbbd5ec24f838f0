"""The baseline for bench/lookup_latency.py: a bare Bolt app on the same WSGI server, answering static text.

Run as `python bench/bare_app.py PORT SIGNING_SECRET API_URL TOKEN`.
"""

from __future__ import annotations

import sys
from typing import Any

import waitress
from slack_bolt import Ack, App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient


def main() -> None:
    port, secret, api_url, token = sys.argv[1:5]
    app = App(
        signing_secret=secret,
        client=WebClient(token=token, base_url=api_url),
        token_verification_enabled=False,
    )

    @app.command("/persona")
    def answer(ack: Ack) -> None:
        ack(response_type="ephemeral", text="static answer")

    slack = SlackRequestHandler(app)

    def wsgi(environ: dict[str, Any], start_response: Any) -> Any:
        if environ.get("PATH_INFO") == "/healthz":  # so the benchmark can wait for it like for persona-bot
            start_response("200 OK", [("Content-Length", "2")])
            return [b"ok"]
        return slack(environ, start_response)

    waitress.serve(wsgi, host="127.0.0.1", port=int(port), threads=16, _quiet=True)


if __name__ == "__main__":
    main()
