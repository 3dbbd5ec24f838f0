"""The one sender over the exactly-once ledger: `deliver_once(client, ledger, item, policy)`.

Claim the item's key (committed), wait for a slot (`policy.pacer`), call Slack, complete the key; no transaction is
open during a Slack call. One taxonomy of Slack's errors:
- *unreachable* (deactivated, not found): recorded as failed, never retried;
- *passing*: a 429 pauses everyone on the pacer for Retry-After, then the same item is retried; after a 5xx or a
  dropped connection Slack may have posted it all the same, so each retry (with back-off) looks first
  (`bot.slack.recovery`), and after `policy.attempts` the claim is abandoned for the next run, which takes it over
  at once and looks first; any other refusal releases the claim for a later run;
- *fatal* (bad token, missing scope, bad blocks): the claim is released and `DeliveryAborted` raised.
A claim taken over from a sender that died (`Claim.abandoned_at`) is looked for before it is sent again. A waiting
sender renews its lease, so a live sender is never overtaken.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Generic, Protocol, TypeVar

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.slack.calls import is_rate_limited, retry_after
from bot.slack.pacing import AdaptivePacer
from bot.slack.recovery import effect_metadata, find_sent_message
from persona_store.effects import Claim

log = logging.getLogger("persona_bot.delivery")

UNREACHABLE_ERRORS = frozenset(
    {"channel_not_found", "user_not_found", "user_disabled", "cannot_dm_bot", "user_is_bot", "is_archived"}
)
FATAL_ERRORS = frozenset(
    {"not_authed", "invalid_auth", "token_revoked", "token_expired", "account_inactive", "missing_scope",
     "invalid_blocks", "invalid_blocks_format", "no_permission", "ekm_access_denied", "team_access_not_granted"}
)  # fmt: skip
SERVER_ERROR_ATTEMPTS = 5


class DeliveryAborted(RuntimeError):
    """Slack refused the app itself (bad token, missing scope, bad blocks): a person must act."""


class Failure(StrEnum):
    UNREACHABLE = "unreachable"
    PASSING = "passing"
    FATAL = "fatal"


def classify(error: SlackApiError) -> Failure:
    code = error.response.get("error")
    if code in UNREACHABLE_ERRORS:
        return Failure.UNREACHABLE
    return Failure.FATAL if code in FATAL_ERRORS else Failure.PASSING


class Result(StrEnum):
    SENT = "sent"
    RECOVERED = "recovered"  # sent by a sender that died before recording it: found in Slack, recorded, not resent
    NOT_OURS = "not_ours"  # done, claimed by a live sender, or no longer wanted
    LOST = "lost"  # taken over by another sender while we waited (our lease ran out): theirs now
    UNREACHABLE = "unreachable"
    RETRY_LATER = "retry_later"  # a passing failure: released, or abandoned when Slack may have taken it


@dataclass(frozen=True)
class Delivery:
    result: Result
    reason: str = ""
    limited: int = 0  # 429 answers obeyed


class Keyed(Protocol):
    @property
    def key(self) -> str: ...


T = TypeVar("T")
T_contra = TypeVar("T_contra", contravariant=True)
K = TypeVar("K", bound=Keyed)


class Ledger(Protocol[T_contra]):
    """One workspace's outbox (`bot.services.outbox.OutboxService.for_team`): each call is one transaction."""

    def new_token(self, item: T_contra) -> str: ...
    def done_with(self, token: str) -> None: ...
    def take(self, item: T_contra, token: str) -> Claim | None: ...
    def complete(self, item: T_contra, token: str, channel: str | None, ts: str | None) -> bool: ...
    def unreachable(self, item: T_contra, token: str, reason: str) -> None: ...
    def renew(self, item: T_contra, token: str) -> bool: ...
    def abandon(self, item: T_contra, token: str) -> None: ...
    def release(self, item: T_contra, token: str) -> None: ...


Send = Callable[[WebClient, dict[str, Any]], tuple[str | None, str | None]]


def post(client: WebClient, message: dict[str, Any]) -> tuple[str | None, str | None]:
    response = client.chat_postMessage(**message)
    return response.get("channel"), response.get("ts")


@dataclass(frozen=True)
class Policy(Generic[T]):
    """How one sender delivers: the message of an item (`channel` and what `send` needs), how it is sent, its pace.

    `looks`: the message carries its ledger key (Slack metadata), so a send whose outcome is unknown is looked for
    before it is sent again; without it (an upload) such a send is released and made again later."""

    message: Callable[[T], dict[str, Any]]
    send: Send = post
    pacer: AdaptivePacer | None = None
    sleep: Callable[[float], None] = time.sleep
    attempts: int = SERVER_ERROR_ATTEMPTS  # sends with an unknown outcome before the claim is abandoned
    looks: bool = True


def deliver_once(client: WebClient, ledger: Ledger[K], item: K, policy: Policy[K]) -> Delivery:
    """Send `item` through Slack at most once, and at least once unless Slack can't reach its person."""
    token = ledger.new_token(item)
    try:
        return _deliver(client, ledger, item, token, policy)
    finally:  # however it ended (a crash in this process too), the next run may take a leftover claim at once
        ledger.done_with(token)


def _deliver(client: WebClient, ledger: Ledger[K], item: K, token: str, policy: Policy[K]) -> Delivery:
    claim = ledger.take(item, token)
    if claim is None:
        return Delivery(Result.NOT_OURS)
    message = policy.message(item)
    if policy.looks:
        message = {**message, "metadata": effect_metadata(item.key)}
    look_since = claim.abandoned_at  # the dead owner may have sent it: look before sending again
    found_means = Result.RECOVERED
    first_attempt = datetime.now(UTC)
    unknown = limited = 0
    while True:
        if look_since is not None and policy.looks:
            found = find_sent_message(client, str(message["channel"]), item.key, look_since, sleep=policy.sleep)
            if found is not None:
                if not ledger.complete(item, token, found.channel, found.ts):
                    log.warning("a claim was taken over while we recovered it", extra={"key": item.key})
                return Delivery(found_means, limited=limited)
        sent_at = policy.pacer.acquire() if policy.pacer is not None else None
        try:
            channel, ts = policy.send(client, message)
        except SlackApiError as error:
            status = error.response.status_code
            reason = str(error.response.get("error") or f"HTTP {status}")
            if is_rate_limited(error):
                wait = retry_after(error)
                if policy.pacer is not None:
                    wait = policy.pacer.limited(wait, sent_at)  # everyone here waits it out
                limited += 1
                policy.sleep(wait)
                if not ledger.renew(item, token):
                    return Delivery(Result.LOST, limited=limited)
                continue
            failure = classify(error)
            if failure is Failure.UNREACHABLE:
                ledger.unreachable(item, token, reason)
                return Delivery(Result.UNREACHABLE, reason, limited)
            if failure is Failure.FATAL or status < 500 or not policy.looks:
                ledger.release(item, token)
                if failure is Failure.FATAL:
                    raise DeliveryAborted(f"Slack refused the app ({reason}); nothing more was sent") from None
                return Delivery(Result.RETRY_LATER, reason, limited)
        except (SlackClientError, OSError) as error:  # the connection dropped: it may or may not be in Slack
            reason = type(error).__name__
            if not policy.looks:
                ledger.release(item, token)
                return Delivery(Result.RETRY_LATER, reason, limited)
        else:
            if policy.pacer is not None:
                policy.pacer.accepted()
            if not ledger.complete(item, token, channel, ts):
                log.warning("a claim was taken over while we sent it", extra={"key": item.key})
            return Delivery(Result.SENT, limited=limited)
        unknown += 1
        if unknown >= policy.attempts:
            # Not released: whether Slack took one of the attempts is unknown, so the next run takes the claim over
            # (at once) and looks for the message before sending it again.
            ledger.abandon(item, token)
            return Delivery(Result.RETRY_LATER, reason, limited)
        policy.sleep(min(8.0, 0.25 * 2**unknown))
        if not ledger.renew(item, token):
            return Delivery(Result.LOST, limited=limited)
        look_since, found_means = first_attempt, Result.SENT
