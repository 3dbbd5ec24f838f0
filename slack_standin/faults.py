"""Misbehaving on demand: queued failures, token-bucket rate limits per method (and per workspace), and latency.

Every limit can change while calls are under way (`rate_limit` again, or `POST /_standin/rate_limit` from another
process), as Slack's do in the middle of a round.
"""

from __future__ import annotations

import json
import math
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from slack_standin.replies import Reply, json_reply

__all__ = ["Faults"]


@dataclass
class _Fault:
    status: int
    error: str
    retry_after: float | None
    body: bytes | None
    content_type: str


@dataclass
class _Bucket:
    rate: float
    burst: float
    tokens: float
    updated: float
    precision: float | None

    def refill(self, now: float) -> float:
        self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        return self.tokens


def _key(method: str, team_id: str | None) -> str:
    return method if team_id is None else f"{method}@{team_id}"


class Faults:
    """The faults a stand-in injects; `SlackStandin` offers these methods to tests."""

    def __init__(self, lock: threading.Lock, clock: Callable[[], float]) -> None:
        self._fault_lock = lock  # the world's lock: a fault is taken in the same step that records the call
        self._fault_clock = clock
        self._faults: dict[str, deque[_Fault]] = {}
        self._buckets: dict[str, _Bucket] = {}
        self._latency: dict[str, float] = {}

    def fail(
        self,
        method: str,
        status: int = 429,
        error: str | None = None,
        retry_after: float | None = 1,
        times: int = 1,
        *,
        body: str | bytes | None = None,
        content_type: str | None = None,
    ) -> None:
        """Make the next `times` calls of `method` ("*" for any) fail.

        429 answers `ratelimited` with a `Retry-After` header; 5xx answer Slack's JSON error body
        (`internal_error` for 500, `service_unavailable` otherwise) unless `body` gives e.g. an HTML page;
        status 200 answers `{"ok": false, "error": error}`. `retry_after=0` is not something Slack sends, but
        makes `RateLimitErrorRetryHandler` retry without the one-second sleep.
        """
        if error is None:
            error = {429: "ratelimited", 500: "internal_error", 200: "fatal_error"}.get(status, "service_unavailable")
        if isinstance(body, str):
            raw: bytes | None = body.encode("utf-8")
            kind = content_type or ("text/html" if body.lstrip().startswith("<") else "text/plain")
        else:
            raw, kind = body, content_type or "application/octet-stream"
        fault = _Fault(status, error, retry_after if status == 429 else None, raw, kind)
        with self._fault_lock:
            self._faults.setdefault(method, deque()).extend([fault] * times)

    def rate_limit(
        self,
        method: str,
        per_second: float | None,
        burst: int = 1,
        *,
        retry_after_precision: float | None = None,
        team_id: str | None = None,
    ) -> None:
        """Answer 429 + Retry-After when `method` is called faster than `per_second` (token bucket of `burst`).

        Retry-After is whole seconds, at least 1, like Slack. `retry_after_precision` (e.g. 0.01) sends the
        exact wait rounded up to that step instead, for fast tests that parse the header themselves; note that
        slack-sdk's `RateLimitErrorRetryHandler` int()s the header and cannot read fractions.
        `per_second=None` removes the limit. With `team_id` the limit is that workspace's own (its token's), as
        Slack's are; without, one budget is shared by every caller. Calling again changes the limit at once (in
        the middle of a round, too); the bucket keeps the tokens it has, up to the new `burst`.
        """
        key = _key(method, team_id)
        with self._fault_lock:
            if per_second is None:
                self._buckets.pop(key, None)
                return
            old = self._buckets.get(key)
            now = self._fault_clock()
            tokens = float(burst) if old is None else min(float(burst), old.refill(now))
            self._buckets[key] = _Bucket(per_second, burst, tokens, now, retry_after_precision)

    def latency(self, method: str, seconds: float, *, team_id: str | None = None) -> None:
        """Delay every answer to `method` ("*" for any) by `seconds`; 0 removes the delay. With `team_id`, only
        that workspace's calls are delayed (a slow workspace among fast ones)."""
        key = _key(method, team_id)
        with self._fault_lock:
            if seconds > 0:
                self._latency[key] = seconds
            else:
                self._latency.pop(key, None)

    def clear_faults(self) -> None:
        with self._fault_lock:
            self._forget_faults()

    def _forget_faults(self) -> None:
        """Called with the lock held."""
        self._faults.clear()
        self._buckets.clear()
        self._latency.clear()

    # -- used by the HTTP layer ----------------------------------------------------------------------------

    def delay_for(self, method: str, team_id: str | None) -> float:
        """How long to hold an answer to `method`: the delay for everyone plus the caller's workspace's own."""
        delay = self._latency.get(method, self._latency.get("*", 0.0))
        if team_id is not None:
            delay += self._latency.get(_key(method, team_id), self._latency.get(_key("*", team_id), 0.0))
        return delay

    def fault_reply(self, method: str, now: float, team_id: str | None = None) -> tuple[Reply | None, str | None]:
        """The failure this call gets, with its error (None, None: no failure). Called with the lock held."""
        queue = self._faults.get(method) or self._faults.get("*")
        if queue:
            fault = queue.popleft()
            headers: tuple[tuple[str, str], ...] = ()
            if fault.retry_after is not None:
                headers = (("Retry-After", format_seconds(fault.retry_after)),)
            if fault.body is not None:
                return Reply(fault.status, fault.body, fault.content_type, headers), fault.error
            return json_reply({"ok": False, "error": fault.error}, fault.status, headers), fault.error
        for key in (_key(method, team_id), method):
            bucket = self._buckets.get(key)
            if bucket is None:
                continue
            if bucket.refill(now) >= 1:
                bucket.tokens -= 1
            else:
                wait = (1 - bucket.tokens) / bucket.rate
                if bucket.precision:
                    retry = format_seconds(math.ceil(wait / bucket.precision) * bucket.precision)
                else:
                    retry = str(max(1, math.ceil(wait)))
                reply = json_reply({"ok": False, "error": "ratelimited"}, 429, (("Retry-After", retry),))
                return reply, "ratelimited"
        return None, None

    def control_rate_limit(self, body: bytes) -> Reply:
        """`POST /_standin/rate_limit` {"method", "per_second" (null: none), "burst", "team_id"}: `rate_limit()`
        for a stand-in running in another process (a benchmark changing the limit in the middle of a round)."""
        try:
            spec = json.loads(body)
            rate = spec.get("per_second")
            self.rate_limit(
                str(spec["method"]),
                None if rate is None else float(rate),
                int(spec.get("burst") or 1),
                team_id=spec.get("team_id"),
            )
        except (ValueError, KeyError, TypeError, AttributeError):
            return json_reply({"ok": False, "error": "invalid_arguments"}, 400)
        return json_reply({"ok": True})


def format_seconds(seconds: float) -> str:
    if float(seconds).is_integer():
        return str(int(seconds))
    return f"{seconds:.3f}".rstrip("0").rstrip(".")
