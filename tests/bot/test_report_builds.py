"""Report builds are bounded: one per (workspace, requester, period), a cap per workspace, a bounded queue."""

from __future__ import annotations

import threading
from collections.abc import Callable

from bot.services.report_builds import Admission, ReportBuilds


class HeldStarts:
    """Starts nothing by itself: a test runs (finishes) the started builds when it chooses."""

    def __init__(self) -> None:
        self.started: list[Callable[[], None]] = []

    def __call__(self, run: Callable[[], None]) -> None:
        self.started.append(run)

    def finish_first(self) -> None:
        self.started.pop(0)()


def gate(workers: int = 2, per_workspace: int = 1, queue_limit: int = 2) -> tuple[ReportBuilds, HeldStarts, list[str]]:
    starts = HeldStarts()
    return ReportBuilds(workers=workers, per_workspace=per_workspace, queue_limit=queue_limit, start=starts), starts, []


def test_a_repeat_of_a_build_on_its_way_is_not_built_again() -> None:
    builds, starts, done = gate()
    key = ("T1", "U1", "2026-Q4")
    answers = [builds.submit(key, lambda: done.append("built")) for _ in range(30)]
    assert answers[0] is Admission.ACCEPTED and set(answers[1:]) == {Admission.ALREADY}
    assert len(starts.started) == 1
    starts.finish_first()
    assert done == ["built"]
    assert builds.submit(key, lambda: done.append("again")) is Admission.ACCEPTED, "once delivered, ask again"


def test_one_workspace_cannot_take_every_worker_and_the_queue_is_bounded() -> None:
    builds, starts, done = gate(workers=2, per_workspace=1, queue_limit=2)
    assert builds.submit(("T1", "U1", "q"), lambda: done.append("T1/U1")) is Admission.ACCEPTED
    assert builds.submit(("T1", "U2", "q"), lambda: done.append("T1/U2")) is Admission.ACCEPTED  # waits: T1 at cap
    assert builds.submit(("T2", "U1", "q"), lambda: done.append("T2/U1")) is Admission.ACCEPTED  # runs: T2 is free
    assert len(starts.started) == 2 and builds.counts() == (2, 1)
    assert builds.submit(("T1", "U3", "q"), lambda: done.append("T1/U3")) is Admission.ACCEPTED
    assert builds.submit(("T3", "U1", "q"), lambda: done.append("T3/U1")) is Admission.BUSY, "two waiting already"
    starts.finish_first()  # T1/U1 done: the next T1 build starts
    assert done == ["T1/U1"] and builds.counts() == (2, 1)
    while starts.started:
        starts.finish_first()
    assert done == ["T1/U1", "T2/U1", "T1/U2", "T1/U3"]
    assert builds.counts() == (0, 0)


def test_a_failing_build_frees_its_place() -> None:
    builds, starts, _ = gate()

    def boom() -> None:
        raise RuntimeError("disk full")

    assert builds.submit(("T1", "U1", "q"), boom) is Admission.ACCEPTED
    starts.finish_first()
    assert builds.counts() == (0, 0)
    assert builds.submit(("T1", "U1", "q"), boom) is Admission.ACCEPTED


def test_builds_run_on_their_own_threads() -> None:
    builds = ReportBuilds(workers=1, per_workspace=1, queue_limit=1)
    ran = threading.Event()
    names: list[str] = []

    def job() -> None:
        names.append(threading.current_thread().name)
        ran.set()

    assert builds.submit(("T1", "U1", "q"), job) is Admission.ACCEPTED
    assert ran.wait(10)
    builds.shutdown()
    assert names[0].startswith("report")
