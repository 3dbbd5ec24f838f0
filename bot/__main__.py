"""`python -m bot` is the same program as `persona-bot`."""

from bot.cli import main

main()
