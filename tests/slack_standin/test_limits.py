"""The stand-in limits like Slack: per workspace (per token), per method, and changeable in the middle of a round."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator

import pytest

from slack_standin import SlackStandin
from tests.slack_standin.test_server import ManualClock, call_json, request


@pytest.fixture
def two_teams() -> Iterator[SlackStandin]:
    """Two workspaces on a clock that stands still: a bucket refills only when a test says so."""
    with SlackStandin("T0ONE", "xoxb-one", clock=ManualClock()) as s:
        s.add_workspace("T0TWO", "xoxb-two")
        yield s


def post(standin: SlackStandin, token: str) -> int:
    return call_json(standin, "chat.postMessage", {"channel": "C1", "text": "x"}, token=token).status


def test_each_workspace_has_its_own_budget(two_teams: SlackStandin) -> None:
    for team in ("T0ONE", "T0TWO"):
        two_teams.rate_limit("chat.postMessage", 0.5, burst=2, team_id=team)
    assert [post(two_teams, "xoxb-one") for _ in range(3)] == [200, 200, 429]
    assert [post(two_teams, "xoxb-two") for _ in range(2)] == [200, 200], "the other workspace's budget is untouched"
    assert call_json(two_teams, "auth.test", {}, token="xoxb-one").status == 200, "other methods are not limited"
    limited = [c for c in two_teams.calls("chat.postMessage") if c.status == 429]
    assert [c.team_id for c in limited] == ["T0ONE"]


def test_a_limit_changes_at_once_in_the_middle_of_a_round(two_teams: SlackStandin) -> None:
    two_teams.rate_limit("chat.postMessage", 1, burst=3, team_id="T0ONE")
    assert [post(two_teams, "xoxb-one") for _ in range(2)] == [200, 200]
    two_teams.rate_limit("chat.postMessage", 0.5, burst=3, team_id="T0ONE")  # Slack tightens
    assert [post(two_teams, "xoxb-one") for _ in range(2)] == [200, 429], "the bucket kept its one token left"
    two_teams.rate_limit("chat.postMessage", None, team_id="T0ONE")
    assert post(two_teams, "xoxb-one") == 200


def test_the_control_endpoint_sets_a_limit_from_another_process(two_teams: SlackStandin) -> None:
    url = two_teams.base_url + "/_standin/rate_limit"
    spec = {"method": "chat.postMessage", "per_second": 0.5, "burst": 1, "team_id": "T0TWO"}
    assert request(url, json.dumps(spec).encode(), {"Content-Type": "application/json"}).status == 200
    assert [post(two_teams, "xoxb-two") for _ in range(2)] == [200, 429]
    assert post(two_teams, "xoxb-one") == 200
    assert request(url, b"{not json", {"Content-Type": "application/json"}).status == 400


def test_the_command_line_takes_limits() -> None:
    bad = subprocess.run(
        [sys.executable, "-m", "slack_standin", "--port", "0", "--rate-limit", "chat.postMessage=fast"],
        capture_output=True,
        text=True,
        timeout=20,
    )
    assert bad.returncode == 2 and "METHOD=RATE[:BURST]" in bad.stderr
