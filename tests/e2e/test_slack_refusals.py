"""`persona-bot socket` and `serve` when Slack refuses a token or can't be reached: one line, never a traceback."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from slack_standin import SlackStandin
from tests.e2e.harness import REPO_ROOT, BotProcess

pytestmark = pytest.mark.e2e

TEAM = "T0REFUSE"
BOT = "xoxb-refusals"
APP = "xapp-refusals"


@pytest.fixture
def standin() -> Iterator[SlackStandin]:
    with SlackStandin(team_id=TEAM, bot_token=BOT) as server:
        server.add_app_token(APP)
        yield server


def environment(standin_url: str, folder: Path, **extra: str) -> dict[str, str]:
    return {
        "DATABASE_URL": f"sqlite:///{folder / 'refusals.db'}",
        "SLACK_API_URL": standin_url,
        "SLACK_BOT_TOKEN": BOT,
        "SLACK_APP_TOKEN": APP,
        "SLACK_SIGNING_SECRET": "refusals-secret",
        "LOG_LEVEL": "WARNING",
        **extra,
    }


def persona_bot(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=REPO_ROOT,
        env=BotProcess._environment(env, inherit=True),
        capture_output=True,
        text=True,
        timeout=60,
    )


def one_line(result: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


@pytest.mark.parametrize(
    ("token", "error", "fix"),
    [
        ("xapp-mistyped", "invalid_auth", "create an app-level token with connections:write"),
        (BOT, "not_allowed_token_type", "SLACK_APP_TOKEN must be an app-level token (xapp-…), not a bot token"),
    ],
)
def test_socket_stops_when_slack_refuses_the_app_token(
    standin: SlackStandin, tmp_path: Path, token: str, error: str, fix: str
) -> None:
    result = persona_bot(environment(standin.api_url, tmp_path, SLACK_APP_TOKEN=token), "socket")
    assert result.returncode == 1
    assert one_line(result).startswith(f"Error: Slack refused the app token ({error}): ")
    assert fix in one_line(result)
    assert [c.error for c in standin.calls("apps.connections.open")] == [error]


def test_socket_stops_when_the_app_token_was_revoked(standin: SlackStandin, tmp_path: Path) -> None:
    standin.revoke_token(APP, error="invalid_auth")
    result = persona_bot(environment(standin.api_url, tmp_path), "socket")
    assert result.returncode == 1
    assert one_line(result).startswith(
        "Error: Slack refused the app token (invalid_auth): create an app-level token with connections:write"
    )


@pytest.mark.parametrize("command", ["socket", "serve"])
def test_a_revoked_bot_token_stops_socket_and_serve(standin: SlackStandin, tmp_path: Path, command: str) -> None:
    standin.revoke_token(BOT)
    result = persona_bot(
        environment(standin.api_url, tmp_path), command, *(["--port", "0"] if command == "serve" else [])
    )
    assert result.returncode == 1
    assert one_line(result).startswith("Error: Slack refused the bot token (token_revoked): the token was revoked")
    assert "reinstall the app" in one_line(result)


def test_serve_stops_when_the_bot_token_is_wrong(standin: SlackStandin, tmp_path: Path) -> None:
    result = persona_bot(environment(standin.api_url, tmp_path, SLACK_BOT_TOKEN="xoxb-typo"), "serve", "--port", "0")
    assert result.returncode == 1
    assert one_line(result).startswith("Error: Slack refused the bot token (invalid_auth): copy the Bot User OAuth")


def test_socket_says_slack_is_unreachable_and_retries(tmp_path: Path) -> None:
    with SlackStandin(team_id=None) as gone:
        url = gone.api_url  # nothing listens here once the block ends
    with _Running(environment(url, tmp_path), tmp_path) as process:
        line = process.wait_for_stderr("retrying in 2 seconds")
        assert line.startswith(f"Slack is unreachable at {url} (")
        assert process.poll() is None, "it keeps trying; it does not give up"
    assert "Traceback" not in process.stderr()
    assert process.returncode == 0, "a stop while waiting for Slack is a clean stop"


def test_serve_serves_while_slack_is_unreachable_then_stops_on_a_later_refusal(
    standin: SlackStandin, tmp_path: Path
) -> None:
    standin.fail("auth.test", status=503, times=3)  # the first check and its two retries
    env = environment(standin.api_url, tmp_path)
    with BotProcess(env, log_dir=tmp_path) as bot:  # healthy: serving while Slack is down
        assert "Slack is unreachable at" in bot.stderr() and "(serving meanwhile)" in bot.stderr()
        standin.revoke_token(BOT)
        deadline = time.monotonic() + 30
        while bot.returncode is None and time.monotonic() < deadline:
            time.sleep(0.1)
        assert bot.returncode == 1
        assert "Error: Slack refused the bot token (token_revoked)" in bot.stderr()
        assert "Traceback" not in bot.stderr()


def test_serve_says_when_slack_is_back(standin: SlackStandin, tmp_path: Path) -> None:
    standin.fail("auth.test", status=503, times=3)
    with BotProcess(environment(standin.api_url, tmp_path), log_dir=tmp_path) as bot:
        deadline = time.monotonic() + 30
        while "reachable again" not in bot.stderr() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert "Slack is reachable again and accepts the bot token" in bot.stderr()
        assert bot.returncode is None


class _Running:
    """`persona-bot socket` in the background, with its stderr readable while it runs."""

    def __init__(self, env: dict[str, str], folder: Path) -> None:
        self._env = BotProcess._environment(env, inherit=True)
        self._path = folder / "socket.stderr.log"
        self.returncode: int | None = None

    def __enter__(self) -> _Running:
        self._file = self._path.open("wb")
        self._process = subprocess.Popen(
            [sys.executable, "-m", "bot", "socket"], cwd=REPO_ROOT, env=self._env, stderr=self._file
        )
        return self

    def __exit__(self, *exc: object) -> None:
        self._process.terminate()
        self.returncode = self._process.wait(timeout=20)
        self._file.close()

    def poll(self) -> int | None:
        return self._process.poll()

    def stderr(self) -> str:
        return self._path.read_text(encoding="utf-8", errors="replace")

    def wait_for_stderr(self, words: str, timeout: float = 30) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for entry in self.stderr().splitlines():
                if words in entry:
                    return entry
            time.sleep(0.05)
        raise AssertionError(f"{words!r} never appeared:\n{self.stderr()}")
