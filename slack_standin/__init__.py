"""An offline Slack: a Web API stand-in on 127.0.0.1 and a client that signs requests the way Slack does.

Test, benchmark and demo infrastructure, not the product: `server` is the facade (`SlackStandin`), `http` the
wire, `state` what it knows, `faults` how it misbehaves, and one module per Web API family (`auth`, `team`, `chat`,
`conversations`, `views`, `users`, `usergroups`, `files`); `client` sends our app what Slack sends it.
"""

from slack_standin.client import Response, SignedSlackClient
from slack_standin.server import Call, ResponsePost, SlackStandin, Upload

__all__ = ["Call", "Response", "ResponsePost", "SignedSlackClient", "SlackStandin", "Upload"]
