"""The stand-in's files.info and url_private, and the bot's download guard (`bot.slack.files`)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.slack.files import FileRefused, download, file_info
from slack_standin import SlackStandin


@pytest.fixture
def standin() -> Iterator[SlackStandin]:
    with SlackStandin(team_id="T0ONE", bot_token="xoxb-one") as server:
        server.add_workspace("T0TWO", "xoxb-two")
        yield server


def test_files_info_describes_a_dm_share_and_the_download_needs_the_bot_token(standin: SlackStandin) -> None:
    shared = standin.add_file("T0ONE", "U0MGR", "deals.csv", b"deal_id,persona\n1,Mary\n")
    info = file_info(WebClient(token="xoxb-one", base_url=standin.api_url), shared.file_id)
    assert (info.user_id, info.ims, info.size, info.looks_like_csv) == ("U0MGR", ("D0MGR",), 23, True)
    assert download(info, "xoxb-one", standin.api_url, 1000) == b"deal_id,persona\n1,Mary\n"
    # Slack answers a wrong token with its sign-in page (HTML, status 200): refused, not imported.
    with pytest.raises(FileRefused):
        download(info, "xoxb-two", standin.api_url, 1000)
    assert [d.authorized for d in standin.downloads()] == [True, False]


def test_another_workspaces_file_is_not_found(standin: SlackStandin) -> None:
    shared = standin.add_file("T0ONE", "U0MGR", "deals.csv", b"x")
    with pytest.raises(SlackApiError) as error:
        WebClient(token="xoxb-two", base_url=standin.api_url).files_info(file=shared.file_id)
    assert error.value.response["error"] == "file_not_found"


def test_the_token_never_goes_to_another_host_and_the_cap_holds(standin: SlackStandin) -> None:
    shared = standin.add_file("T0ONE", "U0MGR", "deals.csv", b"a" * 5000)
    info = file_info(WebClient(token="xoxb-one", base_url=standin.api_url), shared.file_id)
    with pytest.raises(FileRefused) as error:
        download(replace(info, url="http://evil.example/steal"), "xoxb-one", standin.api_url, 10_000)
    assert error.value.reason == "failed"
    with pytest.raises(FileRefused) as error:
        download(info, "xoxb-one", standin.api_url, 4000)
    assert error.value.reason == "too_large"
    # Slack's size may understate: the body itself is cut off at the cap.
    with pytest.raises(FileRefused) as error:
        download(replace(info, size=10), "xoxb-one", standin.api_url, 4000)
    assert error.value.reason == "too_large"
    assert len(standin.downloads()) == 1
