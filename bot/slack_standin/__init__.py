"""An offline Slack: a Web API stand-in on 127.0.0.1 and a client that signs requests the way Slack does."""

from bot.slack_standin.client import Response, SignedSlackClient
from bot.slack_standin.server import Call, ResponsePost, SlackStandin, Upload

__all__ = ["Call", "Response", "ResponsePost", "SignedSlackClient", "SlackStandin", "Upload"]
