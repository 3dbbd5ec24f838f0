"""Where the clock's modules still import Slack's clients from; the clock's move (issue #10, item 1) retargets them."""

from bot.slack.clients import SlackClients, SlackUnavailable

__all__ = ["SlackClients", "SlackUnavailable"]
