"""Where the Slack stand-in still reads the bot scopes from; its move to its own package (issue #10) retargets it."""

from bot.slack.oauth import BOT_SCOPES

__all__ = ["BOT_SCOPES"]
