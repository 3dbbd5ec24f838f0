"""Run the real app (`python -m bot serve`) as a subprocess for end-to-end tests; a conftest wraps these in fixtures.

with BotProcess(env={"DATABASE_URL": ..., "SLACK_API_URL": standin.api_url, ...}) as bot:
    client = SignedSlackClient(bot.url, secret, standin)
"""

from __future__ import annotations

import contextlib
import http.client
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import IO

REPO_ROOT = Path(__file__).resolve().parents[2]

# slack-sdk honours proxies but not NO_PROXY: a proxy would swallow calls meant for the local stand-in.
PROXY_VARIABLES = ("HTTPS_PROXY", "HTTP_PROXY", "https_proxy", "http_proxy", "ALL_PROXY", "all_proxy")
# Inherited from the developer's shell these would silently switch Bolt to OAuth mode; a caller may still pass them.
INHERITED_SLACK_VARIABLES = ("SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET")


def free_port(host: str = "127.0.0.1") -> int:
    """A port nobody listens on, kept for us for a minute: only a server that sets SO_REUSEADDR (waitress and
    Python's HTTP servers do) can bind it.

    A port that is merely free can be taken before the app binds it, by another suite's `bind(0)` or by any
    outgoing connection (they draw from the same ephemeral range), which made startup flaky on a busy machine.
    So we connect to it once and close the accepted side first: its TIME_WAIT holds the port, and the kernel
    hands a port held that way neither to `bind(0)` nor to `connect()`.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((host, 0))
        listener.listen(1)
        port: int = listener.getsockname()[1]
        with socket.create_connection((host, port), timeout=5):
            accepted, _ = listener.accept()
            accepted.close()
        return port


class BotProcessError(RuntimeError):
    """The app did not come up (or died); the message carries the tail of its stderr."""


class BotProcess:
    """`python -m bot serve --host 127.0.0.1 --port P` with `env`, ready once `GET /healthz` answers 200.

    `command` replaces the default argv (`{host}` and `{port}` are filled in), e.g. for a stand-in app.
    stdout and stderr go to files in `log_dir` (a temporary folder, removed by `cleanup()`, when not given).
    """

    def __init__(
        self,
        env: Mapping[str, str],
        *,
        port: int | None = None,
        host: str = "127.0.0.1",
        command: Sequence[str] | None = None,
        cwd: str | os.PathLike[str] | None = None,
        log_dir: str | os.PathLike[str] | None = None,
        inherit_env: bool = True,
        startup_timeout: float = 20.0,
        health_path: str = "/healthz",
    ) -> None:
        self.host = host
        self.port = port if port is not None else free_port(host)
        self.startup_timeout = startup_timeout
        self.health_path = health_path
        template = command or [sys.executable, "-m", "bot", "serve", "--host", "{host}", "--port", "{port}"]
        self.command = [part.format(host=self.host, port=self.port) for part in template]
        self.cwd = Path(cwd) if cwd is not None else REPO_ROOT
        self.env = self._environment(env, inherit_env)
        self._own_log_dir = log_dir is None
        self.log_dir = Path(log_dir) if log_dir is not None else Path(tempfile.mkdtemp(prefix="persona-bot-e2e-"))
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.stdout_path = self.log_dir / f"bot-{self.port}.stdout.log"
        self.stderr_path = self.log_dir / f"bot-{self.port}.stderr.log"
        self._process: subprocess.Popen[bytes] | None = None
        self._files: list[IO[bytes]] = []
        self._saved_logs: str | None = None

    @staticmethod
    def _environment(env: Mapping[str, str], inherit: bool) -> dict[str, str]:
        merged: dict[str, str] = {}
        if inherit:
            merged.update(os.environ)
            for name in INHERITED_SLACK_VARIABLES:
                merged.pop(name, None)
        merged.update(env)
        for name in PROXY_VARIABLES:
            merged.pop(name, None)
        merged.setdefault("PYTHONUNBUFFERED", "1")  # logs reach the files as they happen
        return merged

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    @property
    def returncode(self) -> int | None:
        return self._process.poll() if self._process else None

    def start(self) -> BotProcess:
        if self._process is not None:
            raise RuntimeError("already started")
        self._files = [self.stdout_path.open("wb"), self.stderr_path.open("wb")]
        self._process = subprocess.Popen(
            self.command,
            cwd=self.cwd,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=self._files[0],
            stderr=self._files[1],
            start_new_session=True,  # its own process group, so stop() also reaches any workers it spawns
        )
        try:
            self._wait_until_healthy()
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_until_healthy(self) -> None:
        deadline = time.monotonic() + self.startup_timeout
        last_problem = "no answer yet"
        while time.monotonic() < deadline:
            code = self.returncode
            if code is not None:
                raise BotProcessError(f"`{self._argv()}` exited with {code} before it was healthy\n{self._tail()}")
            status = self._health_status()
            if status == 200:
                return
            last_problem = f"{self.health_path} answered {status}" if status else "connection refused"
            time.sleep(0.05)
        raise BotProcessError(
            f"`{self._argv()}` was not healthy after {self.startup_timeout:g} s ({last_problem})\n{self._tail()}"
        )

    def _health_status(self) -> int | None:
        conn = http.client.HTTPConnection(self.host, self.port, timeout=2)
        try:
            conn.request("GET", self.health_path)
            answer = conn.getresponse()
            answer.read()
            return answer.status
        except (OSError, http.client.HTTPException):
            return None
        finally:
            conn.close()

    def stop(self, timeout: float = 10.0) -> int | None:
        """SIGTERM, then SIGKILL after `timeout` seconds; returns the exit code."""
        process = self._process
        if process is not None and process.poll() is None:
            self._signal(signal.SIGTERM)
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self._signal(signal.SIGKILL)
                process.wait(timeout=timeout)
        for handle in self._files:
            handle.close()
        self._files = []
        return process.returncode if process is not None else None

    def _signal(self, signum: signal.Signals) -> None:
        assert self._process is not None
        try:
            os.killpg(self._process.pid, signum)
        except (ProcessLookupError, PermissionError):
            with contextlib.suppress(ProcessLookupError):
                self._process.send_signal(signum)

    def stdout(self) -> str:
        return _read(self.stdout_path)

    def stderr(self) -> str:
        return _read(self.stderr_path)

    def logs(self) -> str:
        """Both streams, labelled, for an assertion message or a failed test's report."""
        if self._saved_logs is not None:
            return self._saved_logs
        return (
            f"--- stdout ({self.stdout_path}) ---\n{self.stdout()}\n"
            f"--- stderr ({self.stderr_path}) ---\n{self.stderr()}"
        )

    def _argv(self) -> str:
        return " ".join(self.command)

    def _tail(self, lines: int = 60) -> str:
        tail = self.stderr().splitlines()[-lines:]
        return "--- stderr (last lines) ---\n" + "\n".join(tail)

    def cleanup(self) -> None:
        """Stop, then remove the temporary log folder (its text stays readable through `logs()`)."""
        self.stop()
        if self._own_log_dir and self.log_dir.exists():
            self._saved_logs = self.logs()
            shutil.rmtree(self.log_dir, ignore_errors=True)

    def __enter__(self) -> BotProcess:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.cleanup()


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return ""
