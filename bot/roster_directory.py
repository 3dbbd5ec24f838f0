"""Where the clock's roster step still imports the directory from; the clock's move (issue #10, item 1) retargets it."""

from bot.slack.directory import DirectoryError, SlackDirectory

__all__ = ["DirectoryError", "SlackDirectory"]
