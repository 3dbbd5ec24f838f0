"""The adaptive pacer against a simulated Slack (a token bucket) on a fake clock: events counted, nothing slept."""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field

import pytest

from bot.slack.pacing import START_RATE, AdaptivePacer, PacerRegistry


@dataclass
class FakeClock:
    now: float = 0.0
    slept: list[float] = field(default_factory=list)

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@dataclass
class SimulatedSlack:
    """Slack's limit as the stand-in models it: a token bucket; 429 with a whole-second Retry-After above it."""

    clock: FakeClock
    rate: float
    burst: float = 5
    tokens: float = 5
    updated: float = 0.0
    accepted: int = 0
    refused: int = 0

    def call(self) -> float | None:
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= 1:
            self.tokens -= 1
            self.accepted += 1
            return None
        self.refused += 1
        return float(max(1, math.ceil((1 - self.tokens) / self.rate)))


def send(pacer: AdaptivePacer, slack: SimulatedSlack, clock: FakeClock, count: int, latency: float = 0.002) -> None:
    """One sender posting `count` messages, obeying every 429 (the message is retried after the pause)."""
    done = 0
    while done < count:
        sent_at = pacer.acquire()
        clock.now += latency
        retry_after = slack.call()
        if retry_after is None:
            pacer.accepted()
            done += 1
        else:
            clock.sleep(pacer.limited(retry_after, sent_at))


def world(rate: float, **pacer: float) -> tuple[FakeClock, SimulatedSlack, AdaptivePacer]:
    clock = FakeClock()
    return clock, SimulatedSlack(clock, rate), AdaptivePacer(clock=clock, sleep=clock.sleep, **pacer)


@pytest.mark.parametrize("limit", [10, 50, 200])
def test_it_finds_the_rate_slack_allows_without_being_told(limit: float) -> None:
    clock, slack, pacer = world(limit)
    count = max(2000, int(40 * limit))  # at least 40 s of sending: the first seconds are spent finding the rate
    send(pacer, slack, clock, count)
    floor = count / limit
    assert clock.now <= 1.25 * floor + 2, f"{clock.now:.1f} s against a floor of {floor:.1f} s"
    state = pacer.state()
    assert state.estimate is not None and 0.85 * limit <= state.estimate <= 1.15 * limit
    assert slack.refused == state.limited and slack.refused <= 30, "few 429s: each one costs a whole second"


def test_it_starts_at_a_sane_rate_and_speeds_up_while_slack_accepts() -> None:
    clock, slack, pacer = world(1000)
    assert pacer.rate == START_RATE
    send(pacer, slack, clock, 20)
    first_second = pacer.rate
    send(pacer, slack, clock, 500)
    assert pacer.rate > first_second > START_RATE
    assert slack.refused == 0


def test_a_429_pauses_for_retry_after_capped_and_slows_down() -> None:
    clock, slack, pacer = world(1000, max_hold=30)
    send(pacer, slack, clock, 200)
    fast = pacer.rate
    sent_at = pacer.acquire()
    waited = pacer.limited(3600, sent_at)
    assert waited == pytest.approx(30), "an absurd Retry-After is capped"
    assert pacer.rate < fast
    before = clock.now
    pacer.acquire()
    assert clock.now - before == pytest.approx(30), "everyone waits out the pause, then goes on"


def test_a_storm_of_429s_from_calls_already_in_flight_slows_down_once() -> None:
    clock, slack, pacer = world(1000)
    send(pacer, slack, clock, 100)
    slots = [pacer.acquire() for _ in range(8)]  # eight workers' calls in flight when Slack says "too fast"
    pacer.limited(1, slots[0])
    after_first = pacer.rate
    for slot in slots[1:]:
        pacer.limited(1, slot)
    assert pacer.rate == after_first
    assert pacer.state().limited == 8


def test_a_limit_that_drops_mid_round_is_found_at_the_next_429s_and_one_that_rises_is_probed_for() -> None:
    clock, slack, pacer = world(50)
    send(pacer, slack, clock, 1000)
    assert 40 <= pacer.rate <= 60
    slack.rate = 10  # Slack tightens
    send(pacer, slack, clock, 300)
    assert 8 <= pacer.rate <= 12
    refused = slack.refused
    slack.rate = 100  # and then allows more again
    start = clock.now
    send(pacer, slack, clock, 3000)
    assert pacer.rate > 60, "probing found the higher limit"
    assert clock.now - start < 3000 / 10, "it did not stay at the old pace"
    assert slack.refused - refused <= 30


def test_slack_post_rate_is_a_ceiling_never_passed() -> None:
    clock, slack, pacer = world(1000, ceiling=25)
    send(pacer, slack, clock, 500)
    assert pacer.rate == 25 and slack.refused == 0
    assert clock.now == pytest.approx(500 / 25, rel=0.05)


def test_the_registry_keeps_one_pacer_per_workspace_and_method() -> None:
    clock = FakeClock()
    pacers = PacerRegistry(clock=clock, sleep=clock.sleep)
    a = pacers.get("T1", "chat.postMessage")
    assert pacers.get("T1", "chat.postMessage") is a
    assert pacers.get("T2", "chat.postMessage") is not a
    assert pacers.get("T1", "chat.update") is not a
    a.limited(1, a.acquire())
    assert pacers.states()[("T1", "chat.postMessage")].limited == 1
    assert pacers.states()[("T2", "chat.postMessage")].limited == 0, "one workspace's 429 never slows another"


class Memory:
    def __init__(self, known: dict[tuple[str, str], float]) -> None:
        self.known = dict(known)
        self.saved: list[tuple[str, str, float]] = []

    def recall(self, team_id: str, method: str) -> float | None:
        return self.known.get((team_id, method))

    def remember(self, team_id: str, method: str, per_second: float) -> None:
        self.saved.append((team_id, method, per_second))


def test_a_pace_learnt_by_an_earlier_process_is_where_the_next_one_starts() -> None:
    clock = FakeClock()
    memory = Memory({("T1", "chat.postMessage"): 50.0})
    pacers = PacerRegistry(clock=clock, sleep=clock.sleep, memory=memory)
    resumed = pacers.get("T1", "chat.postMessage")
    assert 45 <= resumed.rate < 50, "no slow start from 4/s: just below what Slack allowed last time"
    slack = SimulatedSlack(clock, 50)
    send(resumed, slack, clock, 500)
    assert slack.refused <= 1
    assert pacers.get("T2", "chat.postMessage").rate == START_RATE, "another workspace starts afresh"

    fresh = PacerRegistry(clock=clock, sleep=clock.sleep, memory=memory).get("T2", "chat.postMessage")
    send(fresh, SimulatedSlack(clock, 20), clock, 300)
    (saved,) = {(team, method) for team, method, _ in memory.saved}
    assert saved == ("T2", "chat.postMessage"), "each new estimate is handed back to be remembered"
    assert 15 <= memory.saved[-1][2] <= 25


def test_a_429_that_comes_while_a_sender_waits_for_its_slot_holds_that_sender_too() -> None:
    clock = FakeClock()
    refused_at: list[float] = []

    def sleep(seconds: float) -> None:  # while this sender sleeps, another one's call is refused
        if not refused_at:
            refused_at.append(clock.now)
            pacer.limited(2, first)
        clock.sleep(seconds)

    pacer = AdaptivePacer(clock=clock, sleep=sleep)
    first = pacer.acquire()
    taken = pacer.acquire()
    assert refused_at and taken >= refused_at[0] + 2, "no call goes out during Slack's pause"


class SteppedClock:
    """A fake clock for several real threads: time moves on only when every sender is asleep, to the earliest wake."""

    def __init__(self, senders: int) -> None:
        self.now = 0.0
        self._senders = senders
        self._waking: list[float] = []
        self._moved = threading.Condition()

    def __call__(self) -> float:
        with self._moved:
            return self.now

    def sleep(self, seconds: float) -> None:
        with self._moved:
            wake = self.now + max(0.0, seconds)
            self._waking.append(wake)
            if len(self._waking) == self._senders:  # everyone waits: jump to the first to wake
                self.now = max(self.now, min(self._waking))
                self._moved.notify_all()
            self._moved.wait_for(lambda: self.now >= wake)
            self._waking.remove(wake)

    def leave(self) -> None:
        with self._moved:
            self._senders -= 1
            if self._waking and len(self._waking) == self._senders:
                self.now = max(self.now, min(self._waking))
                self._moved.notify_all()


def senders_sharing_one_pacer(
    senders: int, count: int, slack_rate: float | None = None, known: float | None = None
) -> tuple[list[float], int]:
    """`senders` threads sending `count` messages in all through one pacer (remembering `known`), to a Slack that
    answers in 5 ms and allows `slack_rate` a second (None: everything); returns when each message went out, and
    how many calls Slack refused."""
    clock = SteppedClock(senders)
    pacer = AdaptivePacer(clock=clock, sleep=clock.sleep, known=known)
    slack = SimulatedSlack(clock, slack_rate) if slack_rate is not None else None  # type: ignore[arg-type]
    left = [count]
    sent: list[float] = []
    lock = threading.Lock()

    def sender() -> None:
        try:
            while True:
                with lock:
                    if not left[0]:
                        return
                    left[0] -= 1
                while True:
                    slot = pacer.acquire()
                    clock.sleep(0.005)  # Slack answers
                    with lock:
                        retry_after = slack.call() if slack is not None else None
                    if retry_after is None:
                        break
                    clock.sleep(pacer.limited(retry_after, slot))
                pacer.accepted()
                with lock:
                    sent.append(slot)
        finally:
            clock.leave()

    threads = [threading.Thread(target=sender, daemon=True) for _ in range(senders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
        assert not thread.is_alive(), "a sender is stuck: the pacer never gave it a slot"
    return sorted(sent), slack.refused if slack is not None else 0


def test_slow_start_speeds_up_every_sender_at_once() -> None:
    """Four senders sharing a workspace's pacer get as far in slow start's first 1.5 s as one sender alone: none
    of them keeps the slow rate of the moment it took its place in line."""
    (alone, _), (four, _) = senders_sharing_one_pacer(1, 100), senders_sharing_one_pacer(4, 100)
    early_alone, early_four = sum(1 for t in alone if t < 1.5), sum(1 for t in four if t < 1.5)
    assert early_four >= early_alone >= 15, f"in the first 1.5 s: {early_four} sent by four, {early_alone} by one"


def test_a_remembered_pace_a_little_too_high_costs_one_429_and_little_time() -> None:
    """A pace remembered 10% above Slack's limit (a slow start that ended with Slack's whole burst in its window)
    is refused soon after the start; the step down is small, and the round still ends near the floor."""
    sent, refused = senders_sharing_one_pacer(4, 1000, slack_rate=50, known=55)
    floor = 1000 / 50
    assert sent[-1] <= 1.2 * floor, f"{sent[-1]:.1f} s against a floor of {floor:.0f} s"
    assert 1 <= refused <= 3
