"""Acknowledgement latency of `/persona <name>` through the real `persona-bot serve`, against a bare Bolt app.

Both run as their own processes on the same WSGI server (waitress, 16 threads), on this machine, and receive the
same correctly signed slash commands from 1 and then 20 concurrent clients (keep-alive connections), taking turns
in short alternating rounds. Prints p50 and p99 for each, and the ratio persona-bot / bare app. Targets: p99 at
most 0.5x the bare app with 1 client and at most 1.0x with 20.

    python bench/lookup_latency.py [--requests 600] [--personas 20] [--rounds 10]
"""

from __future__ import annotations

import argparse
import os
import platform
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from slack_standin import SignedSlackClient, SlackStandin  # noqa: E402
from tests.e2e.harness import BotProcess, free_port  # noqa: E402

QUERIES = ["mary", "fionna", "revops", "it admin", "marketing director mary", "persona 7", "cfo"]


def personas_yaml(extra: int) -> str:
    base = (ROOT / "bot" / "demo" / "data" / "personas.yaml").read_text(encoding="utf-8")
    lines = [base.rstrip()]
    for i in range(extra):
        lines.append(
            f"  - name: Persona {i}\n    role: Role {i}\n    summary: Generated persona number {i}.\n"
            f"    goals: [Goal one, Goal two]\n    pain_points: [Pain one]\n    objections: [Objection]\n"
        )
    return "\n".join(lines) + "\n"


def measure(url: str, secret: str, standin: SlackStandin, requests: int, concurrency: int) -> list[float]:
    timings: list[float] = []
    lock = threading.Lock()
    per_thread = requests // concurrency

    def worker(n: int) -> None:
        client = SignedSlackClient(url, secret, standin=standin, team_id="T0BENCH")
        local: list[float] = []
        for i in range(per_thread):
            started = time.perf_counter()
            reply = client.command(QUERIES[(n + i) % len(QUERIES)], user_id="U0BENCH")
            local.append(time.perf_counter() - started)
            if reply.status != 200:
                raise SystemExit(f"unexpected status {reply.status}: {reply.text[:200]}")
        client.close()
        with lock:
            timings.extend(local)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return timings


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=600, help="requests per measurement")
    parser.add_argument("--personas", type=int, default=20, help="personas in the workspace")
    parser.add_argument("--rounds", type=int, default=10, help="alternating rounds per measurement")
    args = parser.parse_args()
    secret = secrets.token_hex(16)
    token = "xoxb-bench"  # valid only against the stand-in
    folder = Path(tempfile.mkdtemp(prefix="persona-bench-"))
    with SlackStandin(team_id="T0BENCH", bot_token=token) as standin:
        env = {
            "DATABASE_URL": f"sqlite:///{folder / 'bench.db'}",
            "SLACK_API_URL": standin.api_url,
            "SLACK_BOT_TOKEN": token,
            "SLACK_SIGNING_SECRET": secret,
            "SLACK_TEAM_ID": "T0BENCH",
            "LOG_LEVEL": "WARNING",
        }
        (folder / "personas.yaml").write_text(personas_yaml(max(0, args.personas - 4)), encoding="utf-8")
        subprocess.run(
            [sys.executable, "-m", "bot", "personas", "import", str(folder / "personas.yaml")],
            env={**os.environ, **env},
            check=True,
            capture_output=True,
        )
        bare_port = free_port()
        bare = BotProcess(
            env,
            port=bare_port,
            command=[sys.executable, str(ROOT / "bench" / "bare_app.py"), "{port}", secret, standin.api_url, token],
            log_dir=folder,
        )
        with BotProcess(env, log_dir=folder) as bot, bare:
            servers = (("bare Bolt app", bare.url), ("persona-bot", bot.url))
            results: dict[tuple[str, int], list[float]] = {}
            for concurrency in (1, 20):
                for name, url in servers:
                    measure(url, secret, standin, 40, concurrency)  # warm up: imports, caches, connections
                    results[(name, concurrency)] = []
                # Both servers take turns in short rounds (alternating who goes first), so whatever else the
                # machine is doing weighs on both alike.
                for round_number in range(args.rounds):
                    for name, url in servers[:: 1 if round_number % 2 == 0 else -1]:
                        chunk = measure(url, secret, standin, args.requests // args.rounds, concurrency)
                        results[(name, concurrency)].extend(chunk)
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"{args.requests} signed `/persona <name>` commands per row, {args.personas} personas, SQLite")
    print(f"{'server':<16}{'clients':>8}{'p50 ms':>10}{'p99 ms':>10}")
    for (name, concurrency), values in results.items():
        print(f"{name:<16}{concurrency:>8}{pct(values, 0.5):>10.2f}{pct(values, 0.99):>10.2f}")
    for concurrency in (1, 20):
        ours, base = results[("persona-bot", concurrency)], results[("bare Bolt app", concurrency)]
        print(
            f"ratio at {concurrency:>2} clients: p50 {pct(ours, 0.5) / pct(base, 0.5):.2f}x, "
            f"p99 {pct(ours, 0.99) / pct(base, 0.99):.2f}x (target p99 <= {1.0 if concurrency > 1 else 0.5}x); "
            f"mean {statistics.mean(ours) * 1000:.2f} ms"
        )


if __name__ == "__main__":
    main()
