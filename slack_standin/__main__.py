"""Run the Slack stand-in on its own: `python -m slack_standin --port 8765 --team T0DEMO --token xoxb-demo`.

Prints the API URL (the value for SLACK_API_URL) on the first line of stdout, then serves until interrupted.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Sequence
from types import FrameType

from slack_standin.server import SlackStandin


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m slack_standin", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="interface to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8765, help="port to listen on; 0 picks a free one")
    parser.add_argument("--team", default="T0DEMO", help="team id of the workspace to register")
    parser.add_argument("--team-name", default="Demo workspace", help="its name")
    parser.add_argument("--token", default="xoxb-demo", help="the bot token the app will use")
    parser.add_argument("--bot-user", default="UBOT", help="the bot's user id")
    parser.add_argument(
        "--user",
        action="append",
        default=[],
        metavar="ID:NAME[:TZ]",
        help="a workspace member, e.g. U0REP:rep:Europe/Paris (repeatable)",
    )
    parser.add_argument(
        "--rate-limit",
        action="append",
        default=[],
        metavar="METHOD=RATE[:BURST]",
        help="answer 429 + Retry-After above RATE calls/s, e.g. chat.postMessage=10:5 (repeatable; "
        "change it later with POST /_standin/rate_limit)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    standin = SlackStandin(args.team, args.token, bot_user_id=args.bot_user, team_name=args.team_name)
    standin.host, standin.port = args.host, args.port
    for spec in args.user:
        user_id, _, rest = spec.partition(":")
        name, _, tz = rest.partition(":")
        standin.add_user(args.team, user_id, name or user_id, tz=tz or "America/New_York")
    for spec in args.rate_limit:
        method, _, limit = spec.partition("=")
        rate, _, burst = limit.partition(":")
        try:
            standin.rate_limit(method, float(rate), int(burst or 1))
        except ValueError:
            print(f"--rate-limit wants METHOD=RATE[:BURST], not {spec!r}", file=sys.stderr)
            return 2
    stopping = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    with standin:
        print(standin.api_url, flush=True)
        print(f"Slack stand-in for {args.team} (token {args.token}); Ctrl-C stops it.", file=sys.stderr, flush=True)
        while not stopping.wait(0.5):
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
