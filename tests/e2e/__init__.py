"""End-to-end tests: the real app as a subprocess, driven through the Slack stand-in."""
