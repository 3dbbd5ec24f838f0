"""Row counts and a checksum of every table: "a refused request changed nothing" as one comparison."""

from __future__ import annotations

import hashlib

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from persona_store.models import Base


def fingerprint(sessions: sessionmaker[Session]) -> dict[str, tuple[int, str]]:
    """{table: (rows, sha256 of every row in primary-key order)} for every table persona-bot keeps."""
    found: dict[str, tuple[int, str]] = {}
    with sessions.begin() as s:
        for table in Base.metadata.sorted_tables:
            order = list(table.primary_key.columns) or list(table.columns)
            digest = hashlib.sha256()
            count = 0
            for row in s.execute(select(table).order_by(*order)):
                digest.update(repr(tuple(row)).encode())
                count += 1
            found[table.name] = (count, digest.hexdigest())
    return found


def changed_tables(before: dict[str, tuple[int, str]], after: dict[str, tuple[int, str]]) -> list[str]:
    return sorted(name for name in before.keys() | after.keys() if before.get(name) != after.get(name))
