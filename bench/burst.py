"""A burst through the real `persona-bot serve`: feedback submissions and lookups, many at a time.

175 people submit a feedback modal and 60 look a persona up, in a shuffled order, 24 requests in flight at once
(signed requests, keep-alive connections), against `persona-bot serve` on SQLite and on PostgreSQL. The modals are
opened before the burst (each through `/persona feedback <persona>`, as people would), so the burst is the
submissions themselves. Prints, per database: requests, non-200 answers, 5xx, feedback records saved against
submitted, confirmations sent, and the answer times (p50, p99, slowest). Slack shows the person an error after 3 s.

    python bench/burst.py [--submissions 175] [--lookups 60] [--concurrency 24] [--databases sqlite,postgresql]
        [--postgres-admin-url postgresql://postgres@127.0.0.1:5432/postgres]

The PostgreSQL run creates (and afterwards drops) its own database `persona_burst_bench_<pid>`.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import secrets
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, func, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from bot import ids  # noqa: E402
from persona_store.db import make_engine  # noqa: E402
from persona_store.models import Feedback  # noqa: E402
from slack_standin import SignedSlackClient, SlackStandin  # noqa: E402
from tests.e2e.harness import BotProcess  # noqa: E402

TEAM = "T0BURST"
TOKEN = "xoxb-burst"  # valid only against the stand-in
ROLES = ("sales", "success", "onboarding", "marketing")
PERSONAS = ("mary", "fiona", "rick", "ivan")
QUERIES = ("mary", "fionna", "revops", "it admin", "marketing director mary", "cfo")


@dataclass
class Outcome:
    database: str
    answers: list[tuple[str, int, float]]  # kind, HTTP status, seconds
    submitted: int
    saved: int
    confirmed: int

    def times(self) -> list[float]:
        return sorted(seconds for _, _, seconds in self.answers)


def roster_csv(reps: int) -> str:
    lines = ["slack_user_id,name,role,manager,timezone"]
    lines += [f"U0BURST{i:04d},Rep {i},{ROLES[i % 4]},false,Europe/Berlin" for i in range(reps)]
    return "\n".join(lines) + "\n"


@contextmanager
def database(kind: str, folder: Path, admin_url: str) -> Iterator[str]:
    if kind == "sqlite":
        yield f"sqlite:///{folder / 'burst.db'}"
        return
    name = f"persona_burst_bench_{os.getpid()}"
    admin = create_engine(make_url(admin_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(admin_url).set(drivername="postgresql+psycopg", database=name).render_as_string(False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def run(kind: str, url: str, folder: Path, args: argparse.Namespace) -> Outcome:
    secret = secrets.token_hex(16)
    reps = args.submissions  # one submission each: every record has its own author and form
    with SlackStandin(team_id=TEAM, bot_token=TOKEN) as standin:
        env = {
            "DATABASE_URL": url,
            "SLACK_API_URL": standin.api_url,
            "SLACK_BOT_TOKEN": TOKEN,
            "SLACK_SIGNING_SECRET": secret,
            "SLACK_TEAM_ID": TEAM,
            "LOG_LEVEL": "WARNING",
        }
        (folder / "roster.csv").write_text(roster_csv(reps), encoding="utf-8")
        for command in (
            ["personas", "import", str(ROOT / "bot" / "demo" / "data" / "personas.yaml")],
            ["roster", "import", str(folder / "roster.csv")],
        ):
            subprocess.run(
                [sys.executable, "-m", "bot", *command], env={**os.environ, **env}, check=True, capture_output=True
            )
        for i in range(reps):
            standin.add_user(TEAM, f"U0BURST{i:04d}", f"Rep {i}")
        with BotProcess(env, log_dir=folder) as bot:
            client = SignedSlackClient(bot.url, secret, standin=standin, team_id=TEAM)
            views = open_modals(client, standin, reps)
            requests: list[tuple[str, Callable[[], Any]]] = []
            for i, view in enumerate(views):
                answers = {ids.ACTION_FEEDBACK_FIT: str(1 + i % 5), ids.ACTION_FEEDBACK_MISSING: f"Burst note {i}"}
                user = f"U0BURST{i:04d}"
                requests.append(("submit", lambda v=view, a=answers, u=user: client.view_submission_from(v, a, u)))
            for i in range(args.lookups):
                query = QUERIES[i % len(QUERIES)]
                requests.append(("lookup", lambda q=query: client.command(q, user_id="U0BURST0000")))
            random.Random(14).shuffle(requests)
            answers_seen = burst(requests, args.concurrency)
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and len(standin.calls("chat.postEphemeral")) < len(views):
                time.sleep(0.05)
            client.close()
        engine = make_engine(url)
        with engine.connect() as conn:
            saved = conn.scalar(select(func.count(Feedback.id)).where(Feedback.source != "checkin")) or 0
        engine.dispose()
        confirmed = len([c for c in standin.calls("chat.postEphemeral") if c.ok])
    return Outcome(kind, answers_seen, len(views), saved, confirmed)


def open_modals(client: SignedSlackClient, standin: SlackStandin, reps: int) -> list[dict[str, Any]]:
    """Each rep opens the feedback modal for a persona, one after another (not part of the burst)."""
    views = []
    for i in range(reps):
        user = f"U0BURST{i:04d}"
        reply = client.command(f"feedback {PERSONAS[i % len(PERSONAS)]}", user_id=user, channel_id="C0DEALS")
        if reply.status != 200:
            raise SystemExit(f"/persona feedback answered {reply.status}: {reply.text[:200]}")
        views.append(standin.wait_for(lambda u=user: standin.last_view(u), timeout=10))
    return views


def burst(requests: list[tuple[str, Callable[[], Any]]], concurrency: int) -> list[tuple[str, int, float]]:
    answers: list[tuple[str, int, float]] = []
    lock = threading.Lock()
    start = threading.Barrier(concurrency)
    queue = iter(requests)

    def worker() -> None:
        start.wait()  # everyone starts together: `concurrency` requests in flight from the first moment
        while True:
            with lock:
                item = next(queue, None)
            if item is None:
                return
            kind, send = item
            began = time.perf_counter()
            reply = send()
            took = time.perf_counter() - began
            with lock:
                answers.append((kind, reply.status, took))

    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        for future in [pool.submit(worker) for _ in range(concurrency)]:
            future.result()
    return answers


def pct(values: list[float], q: float) -> float:
    return values[min(len(values) - 1, int(q * len(values)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submissions", type=int, default=175)
    parser.add_argument("--lookups", type=int, default=60)
    parser.add_argument("--concurrency", type=int, default=24)
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--postgres-admin-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()
    targets = {"sqlite": 1.5, "postgresql": 1.0}
    outcomes = []
    for kind in args.databases.split(","):
        folder = Path(tempfile.mkdtemp(prefix=f"persona-burst-{kind}-"))
        with database(kind, folder, args.postgres_admin_url) as url:
            outcomes.append(run(kind, url, folder, args))
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(
        f"{args.submissions} feedback submissions + {args.lookups} lookups, {args.concurrency} at a time, "
        "through `persona-bot serve`"
    )
    header = f"{'database':<12}{'requests':>9}{'non-200':>9}{'5xx':>5}{'saved':>11}{'confirmed':>11}"
    print(header + f"{'p50 s':>8}{'p99 s':>8}{'slowest s':>11}{'submit max':>12}{'lookup max':>12}")
    for o in outcomes:
        times = o.times()
        non_200 = sum(1 for _, status, _ in o.answers if status != 200)
        server_errors = sum(1 for _, status, _ in o.answers if status >= 500)
        slowest = {k: max((s for kind, _, s in o.answers if kind == k), default=0.0) for k in ("submit", "lookup")}
        print(
            f"{o.database:<12}{len(o.answers):>9}{non_200:>9}{server_errors:>5}"
            f"{f'{o.saved}/{o.submitted}':>11}{f'{o.confirmed}/{o.submitted}':>11}"
            f"{pct(times, 0.5):>8.3f}{pct(times, 0.99):>8.3f}{times[-1]:>11.3f}"
            f"{slowest['submit']:>12.3f}{slowest['lookup']:>12.3f}"
        )
    for o in outcomes:
        target = targets.get(o.database, 1.0)
        lost = o.submitted - o.saved
        verdict = "met" if o.times()[-1] <= target and lost == 0 else "NOT met"
        print(f"{o.database}: slowest {o.times()[-1]:.3f} s (target <= {target} s), {lost} lost: {verdict}")


if __name__ == "__main__":
    main()
