"""Everything that comes back from Slack's client is a hint, never a fact: bounded ids and signed metadata.

A member can send any button value or `private_metadata` changed, in a correctly signed request. So:

- every id read from a value or from metadata goes through `parse_id`: a plain positive integer that fits a
  64-bit column (a bigger one is refused here, never handed to SQLite, which raises OverflowError on it);
- every `private_metadata` the app writes is sealed with an HMAC (`seal`) and read back with `unseal`, which gives
  None for anything the app did not write itself. The key is derived from `SLACK_SIGNING_SECRET` (`configure`,
  called once by `create_app`), so every web process of one deployment agrees; before that, a random key of this
  process is used, so nothing unsigned is ever accepted.

The services still re-check everything a sealed value names (workspace, owner or author, state): a seal only says
"the app wrote this", not "this is still true".
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import threading
from typing import Any

from bot.slack.limits import PRIVATE_METADATA_MAX

MAX_ID = 2**63 - 1  # the largest value a BIGINT (PostgreSQL) or INTEGER (SQLite) id column can hold
MAX_ID_DIGITS = len(str(MAX_ID))
_SEPARATOR = "~"
_MAC_CHARS = 32  # 128 bits of HMAC-SHA256, hex
_KEY_CONTEXT = b"persona-bot private_metadata v1"

_lock = threading.Lock()
_key: bytes = secrets.token_bytes(32)


def parse_id(value: object) -> int | None:
    """A positive integer id that fits a 64-bit column, from a str of digits or an int; None for anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 0 < value <= MAX_ID else None
    if isinstance(value, str) and 0 < len(value) <= MAX_ID_DIGITS and value.isascii() and value.isdigit():
        number = int(value)
        return number if 0 < number <= MAX_ID else None
    return None


def parse_count(value: object, limit: int = MAX_ID) -> int | None:
    """A non-negative integer (a page index, a revision, a position), at most `limit`, from an int or a str of
    digits; None for anything else."""
    if isinstance(value, str) and 0 < len(value) <= MAX_ID_DIGITS and value.isascii() and value.isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value if 0 <= value <= limit else None


def derive_key(signing_secret: str) -> bytes:
    """The metadata key: an HMAC of a fixed context under the signing secret (never the secret itself)."""
    return hmac.new(signing_secret.encode("utf-8"), _KEY_CONTEXT, hashlib.sha256).digest()


def configure(signing_secret: str | None) -> None:
    """Use the deployment's key (every process with the same signing secret reads what the others wrote)."""
    global _key
    if signing_secret:
        with _lock:
            _key = derive_key(signing_secret)


def _mac(purpose: str, payload: str) -> str:
    message = f"{purpose}\n{payload}".encode()
    return hmac.new(_key, message, hashlib.sha256).hexdigest()[:_MAC_CHARS]


def seal(purpose: str, data: dict[str, Any]) -> str:
    """`data` as compact JSON with its HMAC, for one purpose (a view's callback id): not valid for another."""
    payload = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    sealed = f"{payload}{_SEPARATOR}{_mac(purpose, payload)}"
    if len(sealed) > PRIVATE_METADATA_MAX:
        raise ValueError("private_metadata over Slack's 3,000 characters")
    return sealed


def unseal(purpose: str, raw: object) -> dict[str, Any] | None:
    """The dict `seal` wrote for `purpose`, or None when `raw` is missing, altered, forged or for another purpose."""
    if not isinstance(raw, str) or not raw or len(raw) > PRIVATE_METADATA_MAX:
        return None
    payload, separator, mac = raw.rpartition(_SEPARATOR)
    if not separator or not hmac.compare_digest(mac, _mac(purpose, payload)):
        return None
    try:
        data = json.loads(payload)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


__all__ = ["MAX_ID", "configure", "derive_key", "parse_count", "parse_id", "seal", "unseal"]
