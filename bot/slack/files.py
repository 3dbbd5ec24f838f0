"""Reading a file a person shared with the bot: `files.info`, then its `url_private` with the bot token.

The token only ever goes to Slack's file host (`files.slack.com`, or the host of `SLACK_API_URL` for
Slack-compatible endpoints and the local stand-in), and never more than `max_bytes` are read: Slack's
`size` is checked first, and the body is read in chunks and cut off past the cap. Slack answers a request
without a valid token with an HTML sign-in page, not an error status, so HTML is refused too.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from slack_sdk import WebClient

CHUNK = 64 * 1024
TIMEOUT_SECONDS = 20
SLACK_FILE_HOSTS = ("files.slack.com",)
CSV_TYPES = {"csv", "text"}
CSV_MIMETYPES = {"text/csv", "text/plain", "application/csv", "application/vnd.ms-excel", "text/comma-separated-values"}


class FileRefused(Exception):
    """The shared file can't be used: `reason` is a code for the template (too_large, not_csv, failed)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class SharedFileInfo:
    file_id: str
    name: str
    user_id: str
    size: int
    url: str
    filetype: str
    mimetype: str
    ims: tuple[str, ...]

    @property
    def looks_like_csv(self) -> bool:
        return (
            self.name.lower().endswith(".csv") or self.filetype in CSV_TYPES or self.mimetype in CSV_MIMETYPES
        ) and not self.name.lower().endswith((".xlsx", ".xls", ".pdf", ".zip"))


def file_info(client: WebClient, file_id: str) -> SharedFileInfo:
    """Slack's own record of the file (the event that named it is a hint, not a fact)."""
    raw: dict[str, Any] = client.files_info(file=file_id)["file"]
    return SharedFileInfo(
        file_id=str(raw.get("id") or file_id),
        name=str(raw.get("name") or raw.get("title") or file_id),
        user_id=str(raw.get("user") or ""),
        size=int(raw.get("size") or 0),
        url=str(raw.get("url_private_download") or raw.get("url_private") or ""),
        filetype=str(raw.get("filetype") or ""),
        mimetype=str(raw.get("mimetype") or ""),
        ims=tuple(str(c) for c in raw.get("ims") or ()),
    )


def _trusted(url: str, api_url: str) -> bool:
    target, api = urlsplit(url), urlsplit(api_url)
    if target.scheme == "https" and (target.hostname or "") in SLACK_FILE_HOSTS:
        return True
    return (target.scheme, target.netloc) == (api.scheme, api.netloc) and bool(target.netloc)


def download(info: SharedFileInfo, token: str, api_url: str, max_bytes: int) -> bytes:
    """The file's bytes, read with the bot token; FileRefused when too large, not Slack's, or not served."""
    if info.size > max_bytes:
        raise FileRefused("too_large")
    if not info.url or not _trusted(info.url, api_url):
        raise FileRefused("failed")
    request = urllib.request.Request(info.url, headers={"Authorization": f"Bearer {token}"})
    # No proxy: the token must reach Slack's file host and nothing in between we didn't choose.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(request, timeout=TIMEOUT_SECONDS) as answer:
            if answer.status != 200 or "text/html" in (answer.headers.get("Content-Type") or ""):
                raise FileRefused("failed")
            chunks: list[bytes] = []
            total = 0
            while True:
                chunk = answer.read(CHUNK)
                if not chunk:
                    break
                total += len(chunk)
                if total > max_bytes:
                    raise FileRefused("too_large")
                chunks.append(chunk)
    except (urllib.error.URLError, OSError, ValueError):
        raise FileRefused("failed") from None
    return b"".join(chunks)
