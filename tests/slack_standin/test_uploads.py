"""Image uploads through slack-sdk's files_upload_v2, as Slack takes them: the stand-in keeps type and bytes."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
from PIL import Image
from slack_sdk import WebClient

from bot.report.charts import PersonaFit, RoleFit, render_fit_chart
from slack_standin import SlackStandin
from slack_standin.files import detect_file_type, png_size

TOKEN = "xoxb-test"


@pytest.fixture
def standin() -> Iterator[SlackStandin]:
    with SlackStandin() as s:
        s.add_user("T0TEST", "U0MGR", "mgr", "Mia Manager")
        yield s


@pytest.fixture
def web(standin: SlackStandin) -> WebClient:
    return WebClient(token=TOKEN, base_url=standin.api_url)


def test_a_chart_png_uploads_in_three_steps_and_decodes(web: WebClient, standin: SlackStandin) -> None:
    chart = render_fit_chart(
        [PersonaFit("Mary", 3.6, 7, (RoleFit("sales", 4.1, 3), RoleFit("success", 2.8, 4)))], period="2026-Q4"
    )
    answer = web.files_upload_v2(
        content=chart.png,
        filename=chart.filename,
        title="Fit by role",
        alt_txt=chart.alt_text,
        channel="D0MGR",
        initial_comment="2026-Q4 results",
    )
    described = answer["file"]
    assert (described["filetype"], described["mimetype"]) == ("png", "image/png")
    assert (described["original_w"], described["original_h"]) == (chart.width, chart.height)
    assert [c.method for c in standin.calls()] == ["files.getUploadURLExternal", "files.completeUploadExternal"]

    (upload,) = standin.uploads()
    assert upload.is_image and upload.filetype == "png" and upload.image_size == (chart.width, chart.height)
    assert upload.alt_text == chart.alt_text and "Mary: overall 3.6 from 7 people" in upload.alt_text
    assert (upload.channel_id, upload.initial_comment, upload.title) == ("D0MGR", "2026-Q4 results", "Fit by role")
    image = Image.open(io.BytesIO(upload.content))
    assert image.format == "PNG" and image.size == (chart.width, chart.height)
    image.load()  # every byte arrived: a truncated PNG fails to decode here


def test_other_files_keep_the_type_slack_gives_them(web: WebClient, standin: SlackStandin) -> None:
    answer = web.files_upload_v2(content=b"PK\x03\x04 zip bytes", filename="persona-report-2026-Q3.xlsx")
    assert answer["file"]["filetype"] == "xlsx" and "original_w" not in answer["file"]
    (upload,) = standin.uploads()
    assert not upload.is_image and upload.image_size is None and upload.alt_text is None


def test_type_detection_goes_by_the_bytes_first() -> None:
    assert detect_file_type(b"\x89PNG\r\n\x1a\n....", "chart.txt")[:2] == ("png", "image/png")
    assert detect_file_type(b"\xff\xd8\xff\xe0", "photo")[0] == "jpg"
    assert detect_file_type(b"a,b\n1,2\n", "roster.csv")[:2] == ("csv", "text/csv")
    assert detect_file_type(b"??", "noname") == ("binary", "application/octet-stream", "Binary")
    assert png_size(b"\x89PNG\r\n\x1a\n not really") is None
