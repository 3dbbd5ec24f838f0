"""files.* — the three steps of `files_upload_v2`, files.info, and a shared file's url_private.

File objects carry `filetype`/`mimetype`/`pretty_type` detected from the bytes (PNG, JPEG, GIF, PDF, else the
file name's extension) and, for a PNG, `original_w`/`original_h`.
"""

from __future__ import annotations

from typing import Any

from slack_standin.chat import CHANNEL_ID
from slack_standin.context import Context, Method, Refusal
from slack_standin.replies import Reply, text_reply
from slack_standin.state import Download, PendingFile, Upload, World

__all__ = ["METHODS", "detect_file_type", "png_size", "receive_upload", "serve_download"]

# Magic numbers Slack's type detection goes by before it looks at the name: (prefix, filetype, mimetype, name).
_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "png", "image/png", "PNG"),
    (b"\xff\xd8\xff", "jpg", "image/jpeg", "JPEG"),
    (b"GIF87a", "gif", "image/gif", "GIF"),
    (b"GIF89a", "gif", "image/gif", "GIF"),
    (b"%PDF-", "pdf", "application/pdf", "PDF"),
)
_BY_EXTENSION = {
    "csv": ("csv", "text/csv", "CSV"),
    "txt": ("text", "text/plain", "Plain Text"),
    "xlsx": ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "Excel Spreadsheet"),
    "json": ("json", "application/json", "JSON"),
    "yaml": ("yaml", "text/yaml", "YAML"),
    "yml": ("yaml", "text/yaml", "YAML"),
    "md": ("markdown", "text/markdown", "Markdown (raw)"),
}
_SIGN_IN_PAGE = b"<!DOCTYPE html><html><body>Sign in to Slack</body></html>"


def detect_file_type(content: bytes, filename: str) -> tuple[str, str, str]:
    """(filetype, mimetype, pretty_type) as Slack reports them: by the bytes first, then the name."""
    for prefix, filetype, mimetype, pretty in _MAGIC:
        if content.startswith(prefix):
            return filetype, mimetype, pretty
    extension = filename.rsplit(".", 1)[-1].casefold() if "." in filename else ""
    return _BY_EXTENSION.get(extension, ("binary", "application/octet-stream", "Binary"))


def png_size(content: bytes) -> tuple[int, int] | None:
    """A PNG's (width, height) from its IHDR chunk, or None when it isn't a well-formed PNG."""
    if len(content) < 24 or not content.startswith(b"\x89PNG\r\n\x1a\n") or content[12:16] != b"IHDR":
        return None
    return int.from_bytes(content[16:20], "big"), int.from_bytes(content[20:24], "big")


def get_upload_url_external(world: World, ctx: Context) -> dict[str, Any]:
    filename = ctx.required("filename")
    try:
        length = int(ctx.required("length"))
    except ValueError:
        raise Refusal("invalid_arguments", ["[ERROR] length must be a whole number"]) from None
    if length < 0:
        raise Refusal("invalid_arguments", ["[ERROR] length must not be negative"])
    file_id = world.new_id("F")
    world.pending_files[file_id] = PendingFile(
        file_id, ctx.team.team_id, filename, length, alt_text=ctx.text("alt_txt")
    )
    return {"upload_url": f"{ctx.settings.base_url}/upload/{file_id}", "file_id": file_id}


def complete_upload_external(world: World, ctx: Context) -> dict[str, Any]:
    files = ctx.params.get("files")
    if not isinstance(files, list) or not files or not all(isinstance(f, dict) for f in files):
        raise Refusal("invalid_arguments", ["[ERROR] files must be a JSON array of {id, title}"])
    pending: list[tuple[PendingFile, dict[str, Any]]] = []
    for entry in files:
        found = world.pending_files.get(str(entry.get("id")))
        if found is None or found.content is None or found.team_id != ctx.team.team_id:
            raise Refusal("file_not_found")
        pending.append((found, entry))
    channels = [c for c in (ctx.text("channels") or "").split(",") if c]
    channel_id = ctx.text("channel_id") or (channels[0] if channels else None)
    if channel_id is not None and (not CHANNEL_ID.match(channel_id) or channel_id in world.channel_errors):
        raise Refusal("invalid_channel")
    answer = []
    for found, entry in pending:
        del world.pending_files[found.file_id]
        title = entry.get("title") or found.filename
        assert found.content is not None
        filetype, mimetype, pretty = detect_file_type(found.content, found.filename)
        size = png_size(found.content) if filetype == "png" else None
        world.uploads.append(
            Upload(
                file_id=found.file_id,
                team_id=found.team_id,
                filename=found.filename,
                title=title,
                content=found.content,
                channel_id=channel_id,
                initial_comment=ctx.text("initial_comment"),
                thread_ts=ctx.text("thread_ts"),
                filetype=filetype,
                mimetype=mimetype,
                alt_text=found.alt_text,
                image_size=size,
            )
        )
        described: dict[str, Any] = {
            "id": found.file_id,
            "title": title,
            "name": found.filename,
            "size": len(found.content),
            "filetype": filetype,
            "mimetype": mimetype,
            "pretty_type": pretty,
        }
        if size is not None:
            described["original_w"], described["original_h"] = size
        answer.append(described)
    return {"files": answer}


def info(world: World, ctx: Context) -> dict[str, Any]:
    shared = world.files.get(ctx.required("file"))
    if shared is None or shared.team_id != ctx.team.team_id:
        raise Refusal("file_not_found")
    url = f"{ctx.settings.base_url}/files-pri/{shared.team_id}-{shared.file_id}/{shared.filename}"
    where = shared.channel_id
    return {
        "file": {
            "id": shared.file_id,
            "created": shared.created,
            "timestamp": shared.created,
            "name": shared.filename,
            "title": shared.filename,
            "mimetype": shared.mimetype,
            "filetype": shared.filetype,
            "user": shared.user_id,
            "user_team": shared.team_id,
            "mode": "hosted",
            "is_external": False,
            "size": len(shared.content),
            "url_private": url,
            "url_private_download": f"{url}?download=1",
            "channels": [where] if where and where.startswith("C") else [],
            "groups": [where] if where and where.startswith("G") else [],
            "ims": [where] if where and where.startswith("D") else [],
        },
        "comments": [],
    }


METHODS: dict[str, Method] = {
    "files.getUploadURLExternal": get_upload_url_external,
    "files.completeUploadExternal": complete_upload_external,
    "files.info": info,
}


def receive_upload(world: World, file_id: str, body: bytes) -> Reply:
    """`POST /upload/<file id>`: the bytes of step two of `files_upload_v2`."""
    with world.lock:
        pending = world.pending_files.get(file_id)
        if pending is None:
            return text_reply(404, "file_not_found")
        pending.content = body
    return Reply(200, f"OK - {len(body)}".encode(), "text/plain; charset=utf-8")


def serve_download(world: World, rest: str, token: str | None) -> Reply:
    """url_private: the bytes for the file's workspace's bot token; Slack's sign-in page for anyone else."""
    file_id = rest.split("/", 1)[0].rpartition("-")[2]
    with world.lock:
        shared = world.files.get(file_id)
        if shared is None:
            world.downloads.append(Download(file_id, False, 404))
            return text_reply(404, "file_not_found")
        authorized = bool(token) and token not in world.revoked and world.tokens.get(token or "") == shared.team_id
        world.downloads.append(Download(file_id, authorized, 200))
    if not authorized:
        return Reply(200, _SIGN_IN_PAGE, "text/html; charset=utf-8")
    return Reply(200, shared.content, shared.mimetype)
