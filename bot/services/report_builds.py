"""Bounded work for report builds: one build per (workspace, requester, period), a per-workspace cap, a bounded queue.

A workbook takes seconds of CPU and memory, so nobody may queue an unlimited number of them:

- a second request for a build that is queued or running (same workspace, requester and period) is not started
  again: `submit` answers `ALREADY` ("it's already on its way");
- at most `per_workspace` builds of one workspace run at the same time (one busy workspace can't take every
  worker); the rest wait in the queue, in arrival order, workspaces taking turns;
- at most `workers` builds run at all, on their own threads (never the pool the check-in DM updates use);
- at most `queue_limit` builds wait; past that `submit` answers `BUSY` ("busy, try again in a minute").

Nothing here calls Slack or the database: the caller's `job` does the building and the delivery.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter, deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from enum import StrEnum

log = logging.getLogger("persona_bot.report_builds")

BuildKey = tuple[str, str, str]  # (team id, requester, period slug)
Starter = Callable[[Callable[[], None]], None]


class Admission(StrEnum):
    ACCEPTED = "accepted"
    ALREADY = "already"  # the same build is queued or running
    BUSY = "busy"  # the queue is full


@dataclass(frozen=True)
class _Job:
    key: BuildKey
    run: Callable[[], None]

    @property
    def team_id(self) -> str:
        return self.key[0]


class ReportBuilds:
    """The gate every report build goes through (`/persona report` and the Home tab's Download report)."""

    def __init__(self, *, workers: int, per_workspace: int, queue_limit: int, start: Starter | None = None) -> None:
        self.workers = max(1, workers)
        self.per_workspace = max(1, per_workspace)
        self.queue_limit = max(0, queue_limit)
        self._start = start
        self._pool: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()
        self._inflight: set[BuildKey] = set()
        self._waiting: deque[_Job] = deque()
        self._running: Counter[str] = Counter()

    def submit(self, key: BuildKey, job: Callable[[], None]) -> Admission:
        with self._lock:
            if key in self._inflight:
                return Admission.ALREADY
            runs_now = self._total_running() < self.workers and self._running[key[0]] < self.per_workspace
            if not runs_now and len(self._waiting) >= self.queue_limit:
                return Admission.BUSY
            self._inflight.add(key)
            self._waiting.append(_Job(key, job))
            ready = self._take_ready()
        for item in ready:
            self._launch(item)
        return Admission.ACCEPTED

    def counts(self) -> tuple[int, int]:
        """(running, waiting), for logs and tests."""
        with self._lock:
            return self._total_running(), len(self._waiting)

    def shutdown(self, wait: bool = True) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=wait)

    # --- inside -------------------------------------------------------------------------------------------

    def _total_running(self) -> int:
        return sum(self._running.values())

    def _take_ready(self) -> list[_Job]:
        """Under the lock: the waiting jobs that may start now, oldest first, skipping workspaces at their cap."""
        ready: list[_Job] = []
        for job in list(self._waiting):
            if self._total_running() >= self.workers:
                break
            if self._running[job.team_id] >= self.per_workspace:
                continue
            self._waiting.remove(job)
            self._running[job.team_id] += 1
            ready.append(job)
        return ready

    def _launch(self, job: _Job) -> None:
        def run() -> None:
            try:
                job.run()
            except Exception:  # the job reports its own failures to the requester; this only keeps the gate right
                log.exception("report build failed", extra={"team_id": job.team_id})
            finally:
                self._finished(job)

        if self._start is not None:
            self._start(run)
            return
        if self._pool is None:
            with self._lock:
                if self._pool is None:
                    self._pool = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="report")
        self._pool.submit(run)

    def _finished(self, job: _Job) -> None:
        with self._lock:
            self._running[job.team_id] -= 1
            if self._running[job.team_id] <= 0:
                del self._running[job.team_id]
            self._inflight.discard(job.key)
            ready = self._take_ready()
        for item in ready:
            self._launch(item)


__all__ = ["Admission", "BuildKey", "ReportBuilds"]
