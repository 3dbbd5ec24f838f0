"""Finding Slack users from what people write in files: an email becomes a user id (`users.lookupByEmail`)."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from persona_store.files import OWNER_EMAIL_PATTERN
from persona_store.persona_spec import PersonaSpec


class EmailNotFound(LookupError):
    """The email names nobody Slack can DM; the message says why, for a person."""


def user_id_for_email(client: WebClient, email: str) -> str:
    """The Slack user id of `email` in the client's workspace (scope users:read.email), else EmailNotFound."""
    try:
        user = client.users_lookupByEmail(email=email)["user"]
    except SlackApiError as error:
        code = error.response.get("error")
        if code == "users_not_found":
            raise EmailNotFound(f"{email} is not a member of this Slack workspace") from None
        raise EmailNotFound(f"Slack could not look up {email} ({code})") from None
    except (SlackClientError, OSError) as error:  # Slack unreachable
        raise EmailNotFound(f"{email} could not be looked up: Slack is unreachable ({type(error).__name__})") from None
    if user.get("deleted"):
        raise EmailNotFound(f"{email} belongs to a deactivated Slack user")
    return str(user["id"])


def resolve_owner_emails(specs: Sequence[PersonaSpec], client: WebClient | None) -> tuple[list[PersonaSpec], list[str]]:
    """Specs with every owner given as an email replaced by its Slack user id, and a problem per email that failed."""
    resolved: list[PersonaSpec] = []
    problems: list[str] = []
    found: dict[str, str] = {}
    for spec in specs:
        email = spec.owner
        if email is None or not OWNER_EMAIL_PATTERN.match(email):
            resolved.append(spec)
            continue
        if client is None:
            problems.append(
                f"{spec.name}: owner {email} is an email, and persona-bot has no working Slack token to look it up "
                "(SLACK_BOT_TOKEN); give the Slack user id, like U0123ABCD, instead"
            )
            continue
        try:
            if email not in found:
                found[email] = user_id_for_email(client, email)
        except EmailNotFound as error:
            problems.append(f"{spec.name}: owner {error}")
            continue
        resolved.append(dataclasses.replace(spec, owner=found[email]))
    return resolved, problems
