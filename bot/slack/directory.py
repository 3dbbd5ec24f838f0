"""Finding people in Slack for the roster: emails, profiles (name, time zone, deactivated), user groups, channels.

Used by the CLI, the `/persona roster` listeners and the clock's link sync; services never call Slack, so these
calls happen before (or after) the roster service's transaction. Every Slack refusal becomes a `DirectoryError`
with one line for a person, saying what to fix.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from persona_store.files import OWNER_EMAIL_PATTERN, FileError
from persona_store.persona_spec import PersonaSpec
from persona_store.roster import ProfileFacts, RosterChange
from persona_store.roster_file import RosterRow

# Scope each method needs, for the "add the … scope" hint.
SCOPES = {
    "users.lookupByEmail": "users:read.email",
    "users.info": "users:read",
    "usergroups.users.list": "usergroups:read",
    "usergroups.list": "usergroups:read",
    "conversations.members": "channels:read and groups:read",
}
PAGE = 200


class DirectoryError(RuntimeError):
    """Slack could not answer; the message is one line for a person."""


class EmailNotFound(DirectoryError):
    """No Slack user in this workspace has the email (Slack answered, and the answer is no)."""


@dataclass(frozen=True)
class SlackPerson:
    user_id: str
    name: str
    timezone: str | None
    deleted: bool
    is_bot: bool


def slack_reason(method: str, error: SlackApiError | SlackClientError) -> str:
    """One line for a refused or failed call, with what to do about it."""
    if isinstance(error, SlackApiError):
        code = str(error.response.get("error") or "error")
        if code == "missing_scope":
            return f"Slack refused {method} (missing_scope): add the {SCOPES.get(method, 'needed')} scope and reinstall"
        if code in ("invalid_auth", "not_authed", "token_revoked", "account_inactive"):
            return f"Slack refused the bot token ({code}): check SLACK_BOT_TOKEN or reinstall the app"
        return f"Slack refused {method} ({code})"
    return f"Slack could not be reached for {method} ({type(error).__name__}); try again in a minute"


def _person(user: dict[str, object]) -> SlackPerson:
    profile = user.get("profile") if isinstance(user.get("profile"), dict) else {}
    assert isinstance(profile, dict)
    name = str(profile.get("real_name") or user.get("real_name") or profile.get("display_name") or user.get("name"))
    tz = user.get("tz")
    return SlackPerson(
        user_id=str(user["id"]),
        name=name,
        timezone=str(tz) if tz else None,
        deleted=bool(user.get("deleted")),
        is_bot=bool(user.get("is_bot")),
    )


class SlackDirectory:
    """One workspace's people, looked up through its Web API client (None: no Slack, e.g. an offline CLI)."""

    def __init__(self, client: WebClient | Callable[[], WebClient] | None) -> None:
        """`client` may be a factory, called on the first lookup (the CLI reaches Slack only when it must); it
        raises DirectoryError when Slack can't be used."""
        self._client = client
        self._profiles: dict[str, SlackPerson | None] = {}

    @property
    def available(self) -> bool:
        return self._client is not None

    def _need(self) -> WebClient:
        if self._client is None:
            raise DirectoryError("this needs Slack: set SLACK_BOT_TOKEN (or install the app) first")
        if not isinstance(self._client, WebClient):
            self._client = self._client()
        return self._client

    def by_email(self, email: str) -> SlackPerson:
        """The Slack user with this email; DirectoryError (users_not_found …) otherwise."""
        try:
            answer = self._need().users_lookupByEmail(email=email)
        except SlackApiError as error:
            if error.response.get("error") in ("users_not_found", "invalid_email"):
                raise EmailNotFound(f"no Slack user in this workspace has the email {email}") from None
            raise DirectoryError(slack_reason("users.lookupByEmail", error)) from None
        except SlackClientError as error:
            raise DirectoryError(slack_reason("users.lookupByEmail", error)) from None
        person = _person(answer["user"])
        self._profiles[person.user_id] = person
        return person

    def profile(self, user_id: str) -> SlackPerson | None:
        """Name, time zone and state from users.info (cached); None for a user Slack doesn't know."""
        if user_id in self._profiles:
            return self._profiles[user_id]
        try:
            answer = self._need().users_info(user=user_id)
        except SlackApiError as error:
            if error.response.get("error") in ("user_not_found", "users_not_found"):
                self._profiles[user_id] = None
                return None
            raise DirectoryError(slack_reason("users.info", error)) from None
        except SlackClientError as error:
            raise DirectoryError(slack_reason("users.info", error)) from None
        person = _person(answer["user"])
        self._profiles[user_id] = person
        return person

    def group_members(self, group_id: str) -> list[str]:
        """User ids in a user group (`S…`)."""
        try:
            answer = self._need().usergroups_users_list(usergroup=group_id)
        except SlackApiError as error:
            if error.response.get("error") == "no_such_subteam":
                raise DirectoryError(f"Slack has no user group {group_id}") from None
            raise DirectoryError(slack_reason("usergroups.users.list", error)) from None
        except SlackClientError as error:
            raise DirectoryError(slack_reason("usergroups.users.list", error)) from None
        return [str(u) for u in answer.get("users") or []]

    def group_by_handle(self, handle: str) -> str:
        """The id (`S…`) of the user group with this handle (`sales-team`, without the @)."""
        try:
            answer = self._need().usergroups_list()
        except SlackApiError as error:
            raise DirectoryError(slack_reason("usergroups.list", error)) from None
        except SlackClientError as error:
            raise DirectoryError(slack_reason("usergroups.list", error)) from None
        for group in answer.get("usergroups") or []:
            if str(group.get("handle") or "").casefold() == handle.casefold():
                return str(group["id"])
        raise DirectoryError(f"Slack has no user group @{handle}")

    def channel_members(self, channel_id: str) -> list[str]:
        """User ids in a channel (every page)."""
        members: list[str] = []
        cursor: str | None = None
        client = self._need()
        while True:
            try:
                answer = client.conversations_members(channel=channel_id, limit=PAGE, cursor=cursor)
            except SlackApiError as error:
                if error.response.get("error") == "channel_not_found":
                    raise DirectoryError(
                        f"Slack can't show channel {channel_id}: invite persona-bot to it if it is private"
                    ) from None
                raise DirectoryError(slack_reason("conversations.members", error)) from None
            except SlackClientError as error:
                raise DirectoryError(slack_reason("conversations.members", error)) from None
            members.extend(str(m) for m in answer.get("members") or [])
            cursor = (answer.get("response_metadata") or {}).get("next_cursor") or None
            if not cursor:
                return members

    def looked_up(self) -> list[ProfileFacts]:
        """What the profiles read so far said (never a new call), for the roster to remember."""
        return [
            ProfileFacts(p.user_id, p.deleted, p.timezone, p.name) for p in self._profiles.values() if p is not None
        ]

    def people(self, user_ids: Iterable[str]) -> list[SlackPerson]:
        """Profiles of these users, leaving out bots and users Slack doesn't know."""
        found = [self.profile(u) for u in user_ids]
        return [p for p in found if p is not None and not p.is_bot]


def resolve_rows(
    rows: Sequence[RosterRow], directory: SlackDirectory, known: set[str], *, profiles: bool = True
) -> list[RosterChange]:
    """Roster rows -> changes: emails become Slack users, and people new to the roster (`known` are already on
    it) get their name and time zone from Slack's profile when the file leaves them empty (`profiles=False`
    leaves that for later, e.g. after a modal's 3-second window).

    FileError lists every row Slack could not resolve; a Slack failure that isn't about one row (a missing scope,
    a revoked token) is one line on its own.
    """
    problems: list[str] = []
    changes: list[RosterChange] = []
    seen: dict[str, int] = {}
    for row in rows:
        user_id = row.slack_user_id
        person: SlackPerson | None = None
        try:
            if user_id is None and row.email is not None:
                if not directory.available:
                    raise DirectoryError("emails are looked up in Slack: set SLACK_BOT_TOKEN, or give slack_user_id")
                person = directory.by_email(row.email)  # the answer carries the profile: no second call
                user_id = person.user_id
            assert user_id is not None
            wants_profile = user_id not in known and (row.name is None or row.timezone is None)
            if person is None and profiles and directory.available and wants_profile:
                person = directory.profile(user_id)
            if user_id in known:
                person = None  # someone already on the roster keeps their name and zone
        except DirectoryError as error:
            if not isinstance(error, EmailNotFound):
                raise FileError(str(error)) from None
            problems.append(f"line {row.line}: {error}")
            continue
        if user_id in seen:
            problems.append(f"line {row.line}: {row.who} is {user_id}, who is already on line {seen[user_id]}")
            continue
        seen[user_id] = row.line
        changes.append(
            RosterChange(
                slack_user_id=user_id,
                name=row.name or (person.name if person else None),
                role=row.role,
                is_manager=row.manager,
                is_observer=row.observer,
                timezone=row.timezone or (person.timezone if person else None),
            )
        )
    if problems:
        raise FileError(problems)
    return changes


def resolve_owner_emails(
    specs: Sequence[PersonaSpec], directory: SlackDirectory
) -> tuple[list[PersonaSpec], list[str]]:
    """Specs with every owner given as an email replaced by its Slack user id, and a problem per email that failed."""
    resolved: list[PersonaSpec] = []
    problems: list[str] = []
    found: dict[str, SlackPerson] = {}
    for spec in specs:
        email = spec.owner
        if email is None or not OWNER_EMAIL_PATTERN.match(email):
            resolved.append(spec)
            continue
        if not directory.available:
            problems.append(
                f"{spec.name}: owner {email} is an email, and persona-bot has no working Slack token to look it up "
                "(SLACK_BOT_TOKEN); give the Slack user id, like U0123ABCD, instead"
            )
            continue
        try:
            person = found[email] = found.get(email) or directory.by_email(email)
        except EmailNotFound:
            problems.append(f"{spec.name}: owner {email} is not a member of this Slack workspace")
            continue
        except DirectoryError as error:
            problems.append(f"{spec.name}: owner {email} could not be looked up: {error}")
            continue
        except OSError as error:  # Slack unreachable below slack_sdk's own errors
            problems.append(f"{spec.name}: owner {email} could not be looked up: Slack is unreachable ({error!r})")
            continue
        if person.deleted:
            problems.append(f"{spec.name}: owner {email} belongs to a deactivated Slack user")
            continue
        resolved.append(dataclasses.replace(spec, owner=person.user_id))
    return resolved, problems
