"""The check-in fan-out: send a round's messages through Slack exactly once, at the rate Slack allows.

For each message: claim its ledger key in the database (committed), wait for a slot (the workspace's
`chat.postMessage` pacer, `bot.pacing`, which learns the rate Slack allows from its answers; `SLACK_POST_RATE`
is only an optional ceiling), call Slack, then complete the key together with the rep's participation. No
transaction is open during a Slack call.

What a crash does (kill -9, a deploy, a lost connection) at each point:
- before the claim: nothing happened; the next run sends it;
- after the claim, before Slack answered: the key stays `pending`. Its token names the process that claimed it
  (`persona_store.locks`): once that process is gone (or, for a live but stuck sender, once its lease
  `CHECKIN_CLAIM_LEASE_SECONDS` expires) the next run takes it over at once. Every message carries its ledger
  key as Slack message metadata, so the taker first reads the conversation's recent history (`bot.effect_recovery`): if
  Slack had in fact accepted the dead sender's request, the message is found and recorded, not sent again;
  otherwise it is sent. Only if that history can't be read (no `im:history`, Slack down) do we send blind,
  preferring a rare duplicate to a rep who is never asked;
- after Slack answered, before the completion committed: the same takeover, the same look-up;
- after the completion: done; nobody sends it again.
While a sender waits out a 429 it renews its lease, so a live sender is never overtaken.

429 answers are obeyed: `Retry-After` (capped) pauses every worker sending to that workspace (the pacer), which
also slows down; the claim is renewed, and the same message is retried. After a 5xx or a dropped connection
Slack may have posted the message all the same, so before each retry (with back-off) the sender looks for it;
if Slack stays down the claim is abandoned (pending, its lease over), so the next run takes it over at once and
looks first, as above. A person Slack can't reach is recorded as unreachable and reported, never retried.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.error import URLError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler
from slack_sdk.http_retry.builtin_handlers import ServerErrorRetryHandler

from bot.effect_recovery import effect_metadata, find_sent_message
from bot.pacing import AdaptivePacer
from bot.services.checkins import CheckinService, MemberRef, Outgoing
from persona_store.checkins import Assignment

log = logging.getLogger("persona_bot.checkins")

# Errors that mean "this person can't be messaged": recorded, reported, never retried.
UNREACHABLE_ERRORS = frozenset(
    {"channel_not_found", "user_not_found", "user_disabled", "cannot_dm_bot", "user_is_bot", "is_archived"}
)
# Errors that mean "nothing will work until a person fixes the app": stop the fan-out and say so.
FATAL_ERRORS = frozenset(
    {"not_authed", "invalid_auth", "token_revoked", "token_expired", "account_inactive", "missing_scope",
     "invalid_blocks", "invalid_blocks_format", "no_permission", "ekm_access_denied", "team_access_not_granted"}
)  # fmt: skip
SERVER_ERROR_ATTEMPTS = 5
DIRECTORY_PAGE = 200


class DeliveryAborted(RuntimeError):
    """Slack refused the app itself (bad token, missing scope, bad blocks): a person must act."""


@dataclass
class DeliveryReport:
    sent: int = 0
    already_done: int = 0  # claimed or sent by someone else, or no longer wanted
    recovered: int = 0  # sent by a run that died before recording it: found in Slack, recorded, not resent
    unreachable: list[tuple[str, str]] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # left for the next run
    rate_limited: int = 0  # 429 answers obeyed
    aborted: str | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def merge(self, other: DeliveryReport) -> None:
        self.sent += other.sent
        self.already_done += other.already_done
        self.recovered += other.recovered
        self.unreachable += other.unreachable
        self.failed += other.failed
        self.rate_limited += other.rate_limited
        self.aborted = self.aborted or other.aborted


Message = Callable[[Outgoing], dict[str, Any]]  # -> chat.postMessage / chat.update keyword arguments


def without_rate_limit_retries(client: WebClient) -> WebClient:
    """A copy of `client` that lets 429s, 5xx and dropped connections through to us: the fan-out paces itself,
    obeys Retry-After for every worker at once, and after a 5xx or a dropped connection (Slack may have posted the
    message all the same) looks for the message before it sends again."""
    return WebClient(
        token=client.token,
        base_url=client.base_url,
        timeout=client.timeout,
        retry_handlers=[
            h
            for h in client.retry_handlers
            if not isinstance(h, RateLimitErrorRetryHandler | ServerErrorRetryHandler | ConnectionErrorRetryHandler)
        ],
    )


def retry_after(error: SlackApiError) -> float | None:
    """The 429's Retry-After in seconds; None when it is missing or unreadable (the pacer then waits a second)."""
    headers = {str(k).lower(): v for k, v in (error.response.headers or {}).items()}
    raw = headers.get("retry-after")
    value = raw[0] if isinstance(raw, list) else raw
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


class Fanout:
    """Sends a batch of a round's messages with `workers` threads sharing the workspace's pacer.

    `pacer` is the workspace's `chat.postMessage` pacer (shared with everything else the process sends there);
    without one, a fresh pacer is made with `rate` as its ceiling (None: no ceiling) and `start` as its first rate.
    """

    def __init__(
        self,
        client: WebClient,
        service: CheckinService,
        team_id: str,
        message: Message,
        *,
        rate: float | None = None,
        start: float | None = None,
        workers: int = 4,
        sleep: Callable[[float], None] = time.sleep,
        pacer: AdaptivePacer | None = None,
    ) -> None:
        self._client = without_rate_limit_retries(client)
        self._service = service
        self._team_id = team_id
        self._message = message
        if pacer is None:
            pacer = (
                AdaptivePacer(ceiling=rate, sleep=sleep)
                if start is None
                else AdaptivePacer(start=start, ceiling=rate, sleep=sleep)
            )
        self._pacer = pacer
        self._workers = workers
        self._sleep = sleep
        self._stop = threading.Event()

    def run(self, items: Sequence[Outgoing]) -> DeliveryReport:
        report = DeliveryReport()
        work: queue.SimpleQueue[Outgoing] = queue.SimpleQueue()
        for item in items:
            work.put(item)

        def worker() -> None:
            while not self._stop.is_set():
                try:
                    item = work.get_nowait()
                except queue.Empty:
                    return
                try:
                    self._deliver(item, report)
                except DeliveryAborted as error:
                    with report._lock:
                        report.aborted = report.aborted or str(error)
                    self._stop.set()
                except BaseException:
                    self._stop.set()  # e.g. the database went away: the other workers stop too; the next run resumes
                    raise

        count = max(1, min(self._workers, len(items)))
        with ThreadPoolExecutor(max_workers=count, thread_name_prefix="checkin-send") as pool:
            for future in [pool.submit(worker) for _ in range(count)]:
                future.result()
        return report

    def _deliver(self, item: Outgoing, report: DeliveryReport) -> None:
        token = self._service.new_token()
        try:
            self._deliver_claimed(item, token, report)
        finally:  # however it ended (a crash in this process too), the next run may take a leftover claim at once
            self._service.done_with(token)

    def _deliver_claimed(self, item: Outgoing, token: str, report: DeliveryReport) -> None:
        claim = self._service.take(self._team_id, item, token)
        if claim is None:
            with report._lock:
                report.already_done += 1
            return
        message = self._message(item)
        if claim.abandoned_at is not None:  # the dead owner may have sent it: look before sending again
            found = find_sent_message(
                self._client, str(message["channel"]), item.key, claim.abandoned_at, sleep=self._sleep
            )
            if found is not None:
                if not self._service.complete(self._team_id, item, token, found.channel, found.ts):
                    log.warning("a claim was taken over while we recovered it", extra={"key": item.key})
                with report._lock:
                    report.recovered += 1
                return
        server_errors = 0
        first_attempt = datetime.now(UTC)
        while True:
            if server_errors:  # the last attempt's outcome is unknown: it may have reached the person
                found = find_sent_message(
                    self._client, str(message["channel"]), item.key, first_attempt, sleep=self._sleep
                )
                if found is not None:
                    if not self._service.complete(self._team_id, item, token, found.channel, found.ts):
                        log.warning("a claim was taken over while we sent it", extra={"key": item.key})
                    with report._lock:
                        report.sent += 1
                    return
            sent_at = self._pacer.acquire()
            try:
                channel, ts = self._call(item, message)
            except SlackApiError as error:
                code = str(error.response.get("error") or "")
                status = error.response.status_code
                if status == 429 or code == "ratelimited":
                    wait = self._pacer.limited(retry_after(error), sent_at)  # everyone here waits it out
                    with report._lock:
                        report.rate_limited += 1
                    self._sleep(wait)
                    if not self._service.renew(self._team_id, item, token):
                        return  # someone took it over after our lease ran out; it is theirs now
                    continue
                if code in UNREACHABLE_ERRORS:
                    self._service.record_unreachable(self._team_id, item, token, code)
                    with report._lock:
                        report.unreachable.append((item.user_id, code))
                    return
                if code in FATAL_ERRORS or status < 500:
                    self._service.release(self._team_id, item, token)
                    if code in FATAL_ERRORS:
                        raise DeliveryAborted(f"Slack refused the app ({code}); nothing more was sent") from None
                    with report._lock:
                        report.failed.append((item.user_id, code or f"HTTP {status}"))
                    return
                server_errors += 1
                reason = code or f"HTTP {status}"
            except (URLError, OSError) as error:
                server_errors += 1
                reason = type(error).__name__
            else:
                self._pacer.accepted()
                if not self._service.complete(self._team_id, item, token, channel, ts):
                    log.warning("a claim was taken over while we sent it", extra={"key": item.key})
                with report._lock:
                    report.sent += 1
                return
            if server_errors >= SERVER_ERROR_ATTEMPTS:
                # Not released: whether Slack took one of the attempts is unknown, so the next run takes the claim
                # over (at once) and looks for the message before sending it again.
                self._service.abandon(self._team_id, item, token)
                with report._lock:
                    report.failed.append((item.user_id, reason))
                return
            self._sleep(min(8.0, 0.25 * 2**server_errors))
            if not self._service.renew(self._team_id, item, token):
                return

    def _call(self, item: Outgoing, message: dict[str, Any]) -> tuple[str | None, str | None]:
        response = self._client.chat_postMessage(**message, metadata=effect_metadata(item.key))
        return response.get("channel"), response.get("ts")


def resolve_assignments(
    client: WebClient | None, members: Iterable[MemberRef], default_timezone: str
) -> list[Assignment]:
    """Each rep's zone (roster, else Slack, else the default) and whether Slack can reach them at all.

    One `users.list` sweep (200 a page) answers for everyone; anyone it doesn't list is asked with `users.info`.
    Deactivated or unknown people are assigned as unreachable, so reports can tell them from the silent.
    """
    members = list(members)
    if not members:
        return []
    directory: dict[str, dict[str, Any]] = {}
    if client is not None:
        cursor = None
        while True:
            page = (
                client.users_list(limit=DIRECTORY_PAGE, cursor=cursor)
                if cursor
                else client.users_list(limit=DIRECTORY_PAGE)
            )
            for user in page.get("members") or []:
                directory[str(user.get("id"))] = user
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                break
    result = []
    for member in members:
        user = directory.get(member.user_id)
        reason = None
        if client is not None and user is None:
            try:
                user = client.users_info(user=member.user_id).get("user")
            except SlackApiError as error:
                if error.response.get("error") not in ("user_not_found", "users_not_found"):
                    raise
                reason = "not_found"
        if user is not None and user.get("deleted"):
            reason = "deactivated"
        zone = member.timezone or (user or {}).get("tz") or default_timezone
        result.append(Assignment(member.user_id, member.role, _valid_zone(zone, default_timezone), reason))
    return result


def _valid_zone(zone: str, default: str) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        return default
    return zone
