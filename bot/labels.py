"""Human names for stored codes (roles, sources, journey stages, kinds), read from prompts/labels.j2.

Slack's templates import the same tables (`{% from "labels.j2" import role_names %}`), so the workbook and Slack
say "Customer success" alike. A code without a name is shown as stored rather than hidden.
"""

from __future__ import annotations

from functools import cache

from bot.render import environment


@cache
def _table(name: str) -> dict[str, str]:
    table = getattr(environment().get_template("labels.j2").module, name)
    return {str(k): str(v) for k, v in table.items()}


def _label(table: str, code: str | None) -> str:
    if code is None:
        return ""
    return _table(table).get(code, code)


def role_label(code: str | None) -> str:
    """`success` -> `Customer success`."""
    return _label("role_names", code)


def source_label(code: str | None) -> str:
    """`adhoc` -> `Ad hoc`."""
    return _label("source_names", code)


def stage_label(code: str | None) -> str:
    """`evaluation` -> `Evaluation`."""
    return _label("stage_names", code)


def kind_label(code: str | None) -> str:
    """A persona attribute's kind: `pain_point` -> `Pain point`."""
    return _label("kind_names", code)


def status_label(code: str | None) -> str:
    """`active` -> `Active`."""
    return _label("status_names", code)


def comment_kind_label(code: str | None) -> str:
    """A free-text answer's kind: `missing` -> `What's missing`."""
    return _label("comment_kind_names", code)
