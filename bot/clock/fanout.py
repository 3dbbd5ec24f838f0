"""The check-in fan-out: send a round's messages through Slack exactly once, at the rate Slack allows.

`workers` threads share the workspace's `chat.postMessage` pacer (`bot.slack.pacing`, which learns the rate Slack
allows from its answers; `SLACK_POST_RATE` is only an optional ceiling); each message goes through the one sender,
`bot.slack.delivery.deliver_once`, over the outbox (`bot.services.outbox`).

What a crash does (kill -9, a deploy, a lost connection) at each point:
- before the claim: nothing happened; the next run sends it;
- after the claim, before Slack answered: the key stays `pending`. Its token names the process that claimed it
  (`persona_store.locks`): once that process is gone (or, for a live but stuck sender, once its lease
  `CHECKIN_CLAIM_LEASE_SECONDS` expires) the next run takes it over at once. Every message carries its ledger
  key as Slack message metadata, so the taker first reads the conversation's recent history (`bot.slack.recovery`):
  if Slack had in fact accepted the dead sender's request, the message is found and recorded, not sent again;
  otherwise it is sent. Only if that history can't be read (no `im:history`, Slack down) do we send blind,
  preferring a rare duplicate to a rep who is never asked;
- after Slack answered, before the completion committed: the same takeover, the same look-up;
- after the completion: done; nobody sends it again.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.services.outbox import OutboxService, Outgoing
from bot.services.rounds import MemberRef
from bot.slack.calls import without_resends
from bot.slack.delivery import Delivery, DeliveryAborted, Policy, Result, deliver_once
from bot.slack.pacing import AdaptivePacer
from persona_store.checkins import Assignment

log = logging.getLogger("persona_bot.checkins")

DIRECTORY_PAGE = 200


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

    def add(self, item: Outgoing, done: Delivery) -> None:
        with self._lock:
            self.rate_limited += done.limited
            if done.result is Result.SENT:
                self.sent += 1
            elif done.result is Result.RECOVERED:
                self.recovered += 1
            elif done.result is Result.UNREACHABLE:
                self.unreachable.append((item.user_id, done.reason))
            elif done.result is Result.RETRY_LATER:
                self.failed.append((item.user_id, done.reason))
            elif done.result is Result.NOT_OURS:
                self.already_done += 1


Message = Callable[[Outgoing], dict[str, Any]]  # -> chat.postMessage / chat.update keyword arguments


class Fanout:
    """Sends a batch of a round's messages with `workers` threads sharing the workspace's pacer, through `outbox`
    (bound to the workspace: `OutboxService.for_team`).

    `pacer` is the workspace's `chat.postMessage` pacer (shared with everything else the process sends there);
    without one, a fresh pacer is made with `rate` as its ceiling (None: no ceiling) and `start` as its first rate.
    """

    def __init__(
        self,
        client: WebClient,
        outbox: OutboxService,
        message: Message,
        *,
        rate: float | None = None,
        start: float | None = None,
        workers: int = 4,
        sleep: Callable[[float], None] = time.sleep,
        pacer: AdaptivePacer | None = None,
    ) -> None:
        self._client = without_resends(client)
        self._outbox = outbox
        if pacer is None:
            pacer = (
                AdaptivePacer(ceiling=rate, sleep=sleep)
                if start is None
                else AdaptivePacer(start=start, ceiling=rate, sleep=sleep)
            )
        self._policy = Policy(message, pacer=pacer, sleep=sleep)
        self._workers = workers
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
        report.add(item, deliver_once(self._client, self._outbox, item, self._policy))


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
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        return default
    return zone
