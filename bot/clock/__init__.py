"""The clock (`persona-bot scheduler`): its context, its steps, the fan-out and the pool of workspaces."""
