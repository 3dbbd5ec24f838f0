"""The HTTP surface: signatures, replays, malformed bodies, health, start-up refusals and what the logs hold."""

from __future__ import annotations

import http.client
import json
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

import pytest
from sqlalchemy import func, select

from persona_store.models import Workspace
from slack_standin import SlackStandin
from tests.conftest import TEST_DATABASE_URL
from tests.e2e.conftest import BOT_TOKEN, E2E, SIGNING_SECRET, run_bot
from tests.e2e.dbproxy import DatabaseProxy
from tests.e2e.harness import REPO_ROOT

pytestmark = pytest.mark.e2e

FORM = "application/x-www-form-urlencoded"


def command_body(e2e: E2E, text: str) -> bytes:
    return urlencode(
        {
            "command": "/persona",
            "text": text,
            "team_id": e2e.team_id,
            "user_id": "U0REP",
            "channel_id": "C0X",
            "response_url": e2e.standin.new_response_url(),
            "trigger_id": e2e.standin.new_trigger_id(),
        }
    ).encode()


def workspace_count(e2e: E2E) -> int:
    with e2e.sessions.begin() as s:
        return int(s.scalar(select(func.count()).select_from(Workspace).where(Workspace.team_id == e2e.team_id)) or 0)


def get(url: str, path: str) -> tuple[int, bytes]:
    host, port = url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def test_a_correctly_signed_command_is_answered(e2e: E2E) -> None:
    reply = e2e.client.raw(command_body(e2e, "help"), FORM)
    assert reply.status == 200
    assert "/persona list" in reply.text


@pytest.mark.parametrize(
    "tamper",
    [
        {"sign": False},
        {"secret": "not-the-signing-secret"},
        {"timestamp": str(int(time.time()) - 6 * 60)},  # replayed: more than five minutes old
        {"timestamp": ""},
        {"timestamp": "yesterday"},
        {"signature": "v0=" + "0" * 64},
    ],
)
def test_unsigned_wrongly_signed_or_replayed_requests_get_401_and_change_nothing(
    e2e: E2E, tamper: dict[str, object]
) -> None:
    reply = e2e.client.raw(command_body(e2e, "mary"), FORM, **tamper)  # type: ignore[arg-type]
    assert reply.status == 401
    assert workspace_count(e2e) == 0, "nothing was written for a refused request"
    assert e2e.standin.calls() == [], "and nothing was sent to Slack"


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"payload=%7Bnot-json", FORM),
        (b'{"type": "event_callback", ', "application/json"),
        (b"payload=%5B1%2C2%5D", FORM),
        (b"\xff\xfe\x00garbage", FORM),
    ],
)
def test_malformed_signed_bodies_get_4xx_not_500(e2e: E2E, body: bytes, content_type: str) -> None:
    reply = e2e.client.raw(body, content_type)
    assert 400 <= reply.status < 500, (reply.status, reply.text)


def test_url_verification_echoes_the_challenge(e2e: E2E) -> None:
    reply = e2e.client.url_verification("challenge-token-123")
    assert reply.status == 200
    assert "challenge-token-123" in reply.text


def test_healthz_answers_200_with_a_database(e2e: E2E) -> None:
    status, body = get(e2e.bot.url, "/healthz")
    assert status == 200
    assert json.loads(body)["database"] == "ok"


def test_unknown_paths_and_methods(e2e: E2E) -> None:
    assert get(e2e.bot.url, "/nope")[0] == 404
    assert get(e2e.bot.url, "/slack/events")[0] == 405


def test_logs_have_one_line_per_request_without_secrets_or_typed_text(e2e: E2E) -> None:
    secret_words = "zebra-quokka-7731"
    e2e.client.command(f"{secret_words} persona", user_id="U0LOGGED")
    e2e.client.command("help", user_id="U0LOGGED")
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and e2e.bot.process.stderr().count('"U0LOGGED"') < 2:
        time.sleep(0.05)
    logs = e2e.bot.process.logs()
    assert secret_words not in logs
    assert BOT_TOKEN not in logs and SIGNING_SECRET not in logs
    lines = [json.loads(line) for line in e2e.bot.process.stderr().splitlines() if '"U0LOGGED"' in line]
    assert len(lines) == 2
    assert {line["sub"] for line in lines} == {"search", "help"}
    assert all(line["status"] == 200 and line["ms"] >= 0 and line["path"] == "/slack/events" for line in lines)


def run_cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], env=env, cwd=REPO_ROOT, capture_output=True, text=True, timeout=60
    )


def clean_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_URL", "PERSONA_BOT"))}
    env.update(DATABASE_URL=f"sqlite:///{tmp_path / 'x.db'}", **extra)
    return env


def test_serve_refuses_to_start_without_a_signing_secret(tmp_path: Path) -> None:
    result = run_cli("serve", "--port", "0", env=clean_env(tmp_path, SLACK_BOT_TOKEN="xoxb-1"))
    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [
        "Error: SLACK_SIGNING_SECRET is not set; `persona-bot serve` needs it (see README, Configuration)"
    ]


def test_socket_refuses_to_start_without_an_app_token(tmp_path: Path) -> None:
    result = run_cli("socket", env=clean_env(tmp_path, SLACK_BOT_TOKEN="xoxb-1"))
    assert result.returncode != 0
    assert "SLACK_APP_TOKEN is not set" in result.stderr
    assert "Traceback" not in result.stderr


def test_healthz_turns_503_when_the_database_goes_away_and_200_when_it_returns(
    standin: SlackStandin, tmp_path: Path, postgres_url: str
) -> None:
    assert TEST_DATABASE_URL, "this test needs PostgreSQL (TEST_DATABASE_URL)"
    with DatabaseProxy() as proxy:
        url = postgres_url.replace("127.0.0.1:5432", f"127.0.0.1:{proxy.port}").replace(
            "localhost:5432", f"127.0.0.1:{proxy.port}"
        )
        with run_bot(standin, tmp_path, DATABASE_URL=url) as bot:
            assert get(bot.url, "/healthz")[0] == 200
            proxy.cut()
            status, body = get(bot.url, "/healthz")  # get() gives up after 10 s: a hang would fail here
            assert status == 503 and json.loads(body)["database"] == "unavailable"
            proxy.restore()
            assert get(bot.url, "/healthz")[0] == 200
