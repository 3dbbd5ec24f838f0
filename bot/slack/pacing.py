"""Pacing for Slack's Web API: find the rate Slack allows, per workspace and per method, from Slack's own answers.

Slack doesn't publish the exact workspace-wide rate of `chat.postMessage`; it answers HTTP 429 with `Retry-After`
when an app goes faster. So a sender starts at a sane rate and learns:

- **slow start**: from `START_RATE`, the rate doubles every `DOUBLING_SECONDS` while Slack accepts everything;
- **a 429** ends slow start. Everyone sending to that workspace and method waits out `Retry-After` (capped at
  `max_hold`); the rate Slack actually accepted over the last few seconds becomes the estimate of its limit, and
  sending resumes just below it (`BACKOFF` of the estimate);
- **probing** (a cubic curve, as TCP CUBIC does): the rate climbs back to the estimate, stays near it for a while
  (few 429s, each costing a whole `Retry-After`), then rises ever faster, so a limit Slack has raised is found in
  seconds, and a lowered one at the next 429.

Each new estimate is remembered (`PaceMemory`: the `slack_paces` table, for a week), so the next process (a
restart, a round resumed after a crash) starts just below it instead of finding it again.

`SLACK_POST_RATE`, when set, is a ceiling the rate never passes. Time comes from an injected clock and sleep, so
tests count events against a fake clock instead of waiting.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from bot.slack.calls import DEFAULT_RETRY_AFTER, MAX_RETRY_AFTER

log = logging.getLogger("persona_bot.pacing")

START_RATE = 4.0  # calls per second before Slack has said anything: above Slack's 1/s per channel, well below limits
MIN_RATE = 0.2
DOUBLING_SECONDS = 0.5  # slow start: the rate doubles this often while everything is accepted
BACKOFF = 0.93  # after a 429, resume at this share of the rate Slack accepted
PLATEAU = 0.98  # and climb back to a plateau just below it (a measured rate includes Slack's burst allowance)
# Gentle enough that a round of a few minutes meets few probing 429s (each a whole second of nothing sent): on a
# simulated Slack at 50/s, 1,000 messages cost the floor + 2.7 s with one 429 (+3.6 s with two at 0.00002), and a
# limit that doubles is still found within about 20 s.
CUBIC = 0.000005  # probing: rate = PLATEAU * estimate * (1 + CUBIC * (t - K)^3), K so that rate(0) = BACKOFF * estimate
MEASURE_CALLS = 40  # ... or over the last this many accepted calls, if that is longer (a low limit),
MAX_MEASURE_SECONDS = 10.0  # but never longer than this
MEASURE_SECONDS = 2.0  # the accepted rate is measured over the last second before a 429 (not before a pause)
SLOW_START_MEASURE_SECONDS = 0.5  # in slow start only the last moments say anything about the limit
SLOW_START_DISCOUNT = 0.92
FIRST_PROBE_SPEEDUP = 8.0
MIN_MEASURE_SECONDS = 0.25  # a shorter window says too little: fall back to a plain decrease
FALLBACK_DECREASE = 0.7
QUICK_EPOCH_SECONDS = 2.5  # a 429 this soon after the last pause ended ...
# ... lowers the estimate by this much more. Not by much: the usual cause is an estimate a few per cent too high
# (a slow start that ended with Slack's whole burst in its window), and 0.8 then left a round at 80% of Slack's
# limit for the next 20 s (on 4 simulated senders at 50/s starting 10% too high: 1.27x the floor, 1.14x with 0.9).
QUICK_DECREASE = 0.9

Clock = Callable[[], float]
Sleep = Callable[[float], None]


@dataclass(frozen=True)
class PacerState:
    """What a pacer has learnt so far (for logs, tests and benchmarks)."""

    rate: float
    estimate: float | None  # the limit Slack showed at the last 429; None until the first
    accepted: int
    limited: int


class AdaptivePacer:
    """Slots for one Slack method in one workspace, shared by every thread sending there.

    `acquire()` waits for the next slot and returns its time; report each answer with `accepted()` or
    `limited(retry_after, sent_at)`. A 429 for a call sent before the last decrease only extends the pause: the
    same overshoot is never punished twice.
    """

    def __init__(
        self,
        *,
        start: float = START_RATE,
        ceiling: float | None = None,
        max_hold: float = MAX_RETRY_AFTER,
        clock: Clock = time.monotonic,
        sleep: Sleep = time.sleep,
        known: float | None = None,
        on_estimate: Callable[[float], None] | None = None,
    ) -> None:
        self._ceiling = ceiling
        self._max_hold = max_hold
        self._on_estimate = on_estimate
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        now = clock()
        self._rate = self._capped(start)
        self._next_slot = now
        self._hold_until = now
        self._slow_start = True
        self._grown_at = now  # slow start: when the rate last grew
        self._epoch_start = now  # probing: when the current curve began (the end of the last pause)
        self._estimate: float | None = None
        self._k = 0.0
        self._cubic = CUBIC
        self._decreased_at = now - MIN_MEASURE_SECONDS
        self._window: deque[float] = deque()  # times of accepted calls within MEASURE_SECONDS
        self._accepted = 0
        self._limited = 0
        if known is not None and known > 0:  # learnt by an earlier process: start just below it, probe soon
            self._estimate = known
            self._slow_start = False
            self._cubic = CUBIC * FIRST_PROBE_SPEEDUP
            self._k = ((1 - BACKOFF / PLATEAU) / self._cubic) ** (1 / 3)
            self._rate = self._capped(known * BACKOFF)

    # -- public --------------------------------------------------------------------------------------------

    @property
    def rate(self) -> float:
        with self._lock:
            return self._rate

    def state(self) -> PacerState:
        with self._lock:
            return PacerState(self._rate, self._estimate, self._accepted, self._limited)

    def acquire(self) -> float:
        """Wait for the next slot; returns the time it was taken (pass it to `limited`).

        A slot is never booked ahead: a caller sleeps until the next free slot and then looks again, so a rate
        that grew meanwhile (slow start) counts for every sender at once, and a 429 that came meanwhile holds
        them all. (Booked slots kept each of a fan-out's workers at the rate of the moment it booked: in slow
        start's first 1.5 s, four workers sent 7 messages where one alone sent 17.)"""
        while True:
            with self._lock:
                now = self._clock()
                self._grow(now)
                slot = max(self._next_slot, self._hold_until)
                if slot <= now:
                    # Counted from now: idle time earns no credit (never a burst), and a sender that woke late
                    # doesn't catch up. Catching up ran a busy process at exactly its pace, and near Slack's
                    # limit its jitter bunched calls into an empty bucket (bench/README.md, 2026-12-07).
                    self._next_slot = now + 1.0 / self._rate
                    return now
            self._sleep(slot - now)

    def accepted(self) -> None:
        with self._lock:
            now = self._clock()
            self._accepted += 1
            self._window.append(now)
            self._trim(now)

    def limited(self, retry_after: float | None, sent_at: float | None = None) -> float:
        """Slack answered 429: pause everyone for Retry-After (capped) and slow down. Returns the seconds to wait."""
        with self._lock:
            now = self._clock()
            self._limited += 1
            wait = DEFAULT_RETRY_AFTER if retry_after is None else max(0.0, retry_after)
            wait = min(wait, self._max_hold)
            self._hold_until = max(self._hold_until, now + wait)
            # Only a call sent at the current rate, a little after the last pause, tells us that rate is too fast;
            # the others were in flight (or part of the same storm) and only extend the pause.
            learnt = None
            if sent_at is None or sent_at >= self._decreased_at + MIN_MEASURE_SECONDS:
                self._decrease(now)
                self._decreased_at = self._hold_until
                learnt = self._estimate
            self._epoch_start = self._hold_until
            self._grown_at = self._hold_until
            wait = max(0.0, self._hold_until - now)
        if learnt is not None and self._on_estimate is not None:
            self._on_estimate(learnt)  # outside the lock: it may write to the database
        return wait

    # -- the curve -----------------------------------------------------------------------------------------

    def _capped(self, rate: float) -> float:
        rate = max(MIN_RATE, rate)
        return min(rate, self._ceiling) if self._ceiling is not None else rate

    def _trim(self, now: float) -> None:
        while self._window and (
            self._window[0] < now - MAX_MEASURE_SECONDS
            or (len(self._window) > MEASURE_CALLS and self._window[0] < now - MEASURE_SECONDS)
        ):
            self._window.popleft()

    def _measured(self, now: float, seconds: float) -> float | None:
        """Calls per second Slack accepted since the last pause ended (at most `seconds` back)."""
        self._trim(now)
        start = max(now - seconds, self._epoch_start)
        span = now - start
        if span < MIN_MEASURE_SECONDS:
            return None
        return sum(1 for t in self._window if t >= start) / span

    def _decrease(self, now: float) -> None:
        if self._slow_start:  # the burst Slack allows was all there: part of what it accepted was that
            measured = self._measured(now, SLOW_START_MEASURE_SECONDS)
            measured = measured * SLOW_START_DISCOUNT if measured is not None else None
        else:  # the window the deque holds: at least MEASURE_SECONDS or MEASURE_CALLS calls
            measured = self._measured(now, max(MEASURE_SECONDS, now - self._window[0]) if self._window else 0.0)
        if measured is None:  # refused before we sent anything to speak of: slow down, learn nothing yet
            self._rate = self._capped(self._rate * FALLBACK_DECREASE)
            if self._estimate is not None:
                self._estimate = self._rate / BACKOFF
            return
        estimate = min(measured, self._rate)
        quick = not self._slow_start and now - self._epoch_start < QUICK_EPOCH_SECONDS
        if quick:
            # Refused again soon after resuming: what we measured was mostly Slack's burst allowance refilled
            # during the pause, so the estimate was too high; step down for real.
            estimate *= QUICK_DECREASE
        self._estimate = max(MIN_RATE, estimate)
        # A slow-start estimate is rough, and so is a quick step down: probe beyond them sooner than beyond one
        # measured at a steady pace.
        self._cubic = CUBIC * FIRST_PROBE_SPEEDUP if self._slow_start or quick else CUBIC
        self._slow_start = False
        self._k = ((1 - BACKOFF / PLATEAU) / self._cubic) ** (1 / 3)
        self._rate = self._capped(self._estimate * BACKOFF)

    def _grow(self, now: float) -> None:
        if now <= self._hold_until:
            return
        if self._slow_start:
            elapsed = now - self._grown_at
            if elapsed > 0:
                self._rate = self._capped(self._rate * 2 ** (elapsed / DOUBLING_SECONDS))
                self._grown_at = now
            return
        assert self._estimate is not None
        t = now - self._epoch_start
        self._rate = self._capped(PLATEAU * self._estimate * (1 + self._cubic * (t - self._k) ** 3))


class PaceMemory(Protocol):
    """Where learnt paces outlive the process (the database): a restart or a resumed round starts from them."""

    def recall(self, team_id: str, method: str) -> float | None: ...

    def remember(self, team_id: str, method: str, per_second: float) -> None: ...


class PacerRegistry:
    """One pacer per (workspace, method), shared by everything a process sends there; created on first use (from
    `memory`'s last estimate, when there is one), and each new estimate is handed back to `memory`."""

    def __init__(
        self,
        *,
        ceiling: float | None = None,
        start: float = START_RATE,
        max_hold: float = MAX_RETRY_AFTER,
        clock: Clock = time.monotonic,
        sleep: Sleep = time.sleep,
        memory: PaceMemory | None = None,
    ) -> None:
        self._ceiling = ceiling
        self._start = start
        self._memory = memory
        self._max_hold = max_hold
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._pacers: dict[tuple[str, str], AdaptivePacer] = {}

    def get(self, team_id: str, method: str) -> AdaptivePacer:
        with self._lock:
            pacer = self._pacers.get((team_id, method))
            if pacer is not None:
                return pacer
        memory = self._memory
        known = memory.recall(team_id, method) if memory is not None else None

        def remember(per_second: float) -> None:
            if memory is not None:
                try:
                    memory.remember(team_id, method, per_second)
                except Exception:  # a lost write only costs the next process a few seconds of finding it again
                    log.warning("could not remember a learnt pace", exc_info=True, extra={"team_id": team_id})

        with self._lock:
            pacer = self._pacers.get((team_id, method))
            if pacer is None:
                pacer = self._pacers[(team_id, method)] = AdaptivePacer(
                    start=self._start,
                    ceiling=self._ceiling,
                    max_hold=self._max_hold,
                    clock=self._clock,
                    sleep=self._sleep,
                    known=known,
                    on_estimate=remember,
                )
            return pacer

    def states(self) -> dict[tuple[str, str], PacerState]:
        with self._lock:
            pacers = dict(self._pacers)
        return {key: pacer.state() for key, pacer in pacers.items()}


__all__ = ["AdaptivePacer", "PaceMemory", "PacerRegistry", "PacerState"]
