"""The Slack Web API adapter: clients per workspace, OAuth, delivery, Slack's limits."""
