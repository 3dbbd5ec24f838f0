"""Acknowledgement latency of `/persona <name>` through the real `persona-bot serve`, against a bare Bolt app.

Both run as their own processes on the same WSGI server (waitress, 16 threads), on this machine, and receive the
same correctly signed slash commands from 1 and then 20 concurrent clients (keep-alive connections).

How it keeps the measurement about the servers on a small shared machine:
- Every request of a round is built and signed before the round starts (the stand-in's response URL and trigger
  id, the form body, the HMAC), and a client thread only writes the bytes to its socket and reads the answer, so
  the client's own CPU per request is small and the same for both servers.
- The servers take turns in rounds (ABBA: who goes first alternates), so whatever else the machine does weighs
  on both alike; each round gives a p99 ratio, and the median of those is the headline, beside the pooled
  figures.
- Clients are *open-loop* by default: each of the N clients sends on its own fixed schedule (`--interval-ms`,
  phases spread), so both servers are offered the same load. Latency is timed from the scheduled send time, so a
  server that falls behind is charged for the queue it causes (no coordinated omission). `--interval-ms 0` gives
  closed-loop clients (each sends again the moment it is answered), as the earlier runs did: there a faster
  server is simply sent more requests per second, so the figure mixes latency with throughput. One client is
  always closed-loop: one request is in flight either way.

    python bench/lookup_latency.py [--requests 1000] [--personas 20] [--rounds 10] [--interval-ms 40]

Targets: p99 at most 0.5x the bare app with 1 client and at most 1.0x with 20.
"""

from __future__ import annotations

import argparse
import os
import platform
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit

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


class _Recorder(SignedSlackClient):
    """Builds and signs requests exactly as the stand-in's client sends them, but keeps them instead."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.built: list[tuple[bytes, dict[str, str]]] = []

    def _send(self, body: bytes, headers: Mapping[str, str]) -> object:  # type: ignore[override]
        self.built.append((body, dict(headers)))
        return None


def build_requests(url: str, secret: str, standin: SlackStandin, count: int, offset: int) -> list[bytes]:
    """`count` signed `/persona <query>` requests as raw HTTP/1.1 bytes for `url`'s /slack/events."""
    recorder = _Recorder(url, secret, standin=standin, team_id="T0BENCH")
    for i in range(count):
        recorder.command(QUERIES[(offset + i) % len(QUERIES)], user_id="U0BENCH")
    parts = urlsplit(url)
    raw = []
    for body, headers in recorder.built:
        head = ["POST /slack/events HTTP/1.1", f"Host: {parts.hostname}:{parts.port}", f"Content-Length: {len(body)}"]
        head += [f"{name}: {value}" for name, value in headers.items()]
        raw.append(("\r\n".join(head) + "\r\n\r\n").encode("ascii") + body)
    return raw


class _Connection:
    """One keep-alive connection: write a request's bytes, read one answer (status line, headers, body)."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self._sock = socket.create_connection((parts.hostname, parts.port))
        self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._file = self._sock.makefile("rb")

    def exchange(self, request: bytes) -> None:
        self._sock.sendall(request)
        status = self._file.readline()
        length = 0
        while True:
            line = self._file.readline()
            if line in (b"\r\n", b""):
                break
            if line[:15].lower() == b"content-length:":
                length = int(line[15:])
        body = self._file.read(length)
        if not status.startswith(b"HTTP/1.1 200") or not body:
            raise SystemExit(f"unexpected answer {status!r}: {body[:200]!r}")

    def close(self) -> None:
        self._file.close()
        self._sock.close()


def measure(url: str, requests: list[bytes], concurrency: int, interval: float) -> list[float]:
    """Latencies (s) of `requests` shared out to `concurrency` clients. With `interval` > 0 each client sends on
    its own schedule (one every `interval` s, phases spread over the first interval) and a latency is counted from
    the scheduled time; with 0 each client sends again as soon as it is answered."""
    per_client = [requests[n::concurrency] for n in range(concurrency)]
    connections = [_Connection(url) for _ in range(concurrency)]
    timings: list[list[float]] = [[] for _ in range(concurrency)]
    ready = threading.Barrier(concurrency + 1)
    clock = time.perf_counter

    def client(n: int) -> None:
        conn, mine, local = connections[n], per_client[n], timings[n]
        ready.wait()
        due = start + interval * n / concurrency
        for request in mine:
            if interval:
                pause = due - clock()
                if pause > 0:
                    time.sleep(pause)
                began = due
                due += interval
            else:
                began = clock()
            conn.exchange(request)
            local.append(clock() - began)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(concurrency)]
    for t in threads:
        t.start()
    start = clock() + 0.01
    ready.wait()
    for t in threads:
        t.join()
    for conn in connections:
        conn.close()
    return [value for local in timings for value in local]


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000, help="requests per server and client count")
    parser.add_argument("--personas", type=int, default=20, help="personas in the workspace")
    parser.add_argument("--rounds", type=int, default=10, help="alternating rounds the requests are spread over")
    parser.add_argument(
        "--interval-ms", type=float, default=40.0, help="each client's send interval (open loop); 0: closed loop"
    )
    parser.add_argument("--clients", default="1,20", help="client counts to measure, comma-separated")
    args = parser.parse_args()
    client_counts = [int(c) for c in args.clients.split(",")]
    interval = args.interval_ms / 1000
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
            ratios: dict[int, list[float]] = {}
            calls_before = len(standin.calls())
            for concurrency in client_counts:
                per_round = max(concurrency, args.requests // args.rounds)
                for name, url in servers:  # warm up: imports, caches, connections
                    measure(url, build_requests(url, secret, standin, 100, 0), concurrency, 0.0)
                    results[(name, concurrency)] = []
                ratios[concurrency] = []
                for round_number in range(args.rounds):
                    p99s: dict[str, float] = {}
                    for name, url in servers[:: 1 if round_number % 2 == 0 else -1]:
                        built = build_requests(url, secret, standin, per_round, round_number)
                        chunk = measure(url, built, concurrency, interval if concurrency > 1 else 0.0)
                        results[(name, concurrency)].extend(chunk)
                        p99s[name] = pct(chunk, 0.99)
                    ratios[concurrency].append(p99s["persona-bot"] / p99s["bare Bolt app"])
            slack_calls = len(standin.calls()) - calls_before
    mode = f"open loop, each client one request every {args.interval_ms:g} ms" if interval else "closed loop"
    mode += " (1 client: closed loop)" if interval and 1 in client_counts else ""
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"load average (1 min) at the end: {os.getloadavg()[0]:.2f}")
    print(
        f"{args.requests} signed `/persona <name>` commands per row in {args.rounds} rounds, {args.personas} "
        f"personas, SQLite; {mode}; Slack API calls made by the servers meanwhile: {slack_calls}"
    )
    print(f"{'server':<16}{'clients':>8}{'p50 ms':>10}{'p99 ms':>10}")
    for (name, concurrency), values in results.items():
        print(f"{name:<16}{concurrency:>8}{pct(values, 0.5):>10.2f}{pct(values, 0.99):>10.2f}")
    for concurrency in client_counts:
        ours, base = results[("persona-bot", concurrency)], results[("bare Bolt app", concurrency)]
        per_round = ratios[concurrency]
        print(
            f"ratio at {concurrency:>2} clients: p99 median of rounds {statistics.median(per_round):.2f}x "
            f"(rounds {min(per_round):.2f}-{max(per_round):.2f}x), pooled p50 {pct(ours, 0.5) / pct(base, 0.5):.2f}x, "
            f"pooled p99 {pct(ours, 0.99) / pct(base, 0.99):.2f}x (target p99 <= {1.0 if concurrency > 1 else 0.5}x)"
        )


if __name__ == "__main__":
    main()
