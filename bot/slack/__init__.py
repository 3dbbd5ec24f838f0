"""The Slack Web API adapter: clients, delivery with its one error taxonomy, recovery, and shared answers."""
