"""Words people read: Jinja2 templates in `prompts/`, rendered with StrictUndefined and mrkdwn escaping."""

from __future__ import annotations

import re
from datetime import date, datetime
from functools import cache
from typing import Any

from jinja2 import BytecodeCache, Environment, FileSystemBytecodeCache, PackageLoader, StrictUndefined

# Control characters other than tab and newline make Slack drop or mangle text.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def escape_mrkdwn(value: object) -> str:
    """Escape Slack's three control characters (in this order) so user text can never ping or link."""
    text = _CONTROL.sub("", str(value))
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def clean_plain(value: object) -> str:
    """Plain-text objects are not parsed for mentions, but control characters still break them."""
    return _CONTROL.sub("", str(value))


def truncate(value: object, limit: int, ellipsis: str = "…") -> str:
    text = str(value)
    if len(text) <= limit:
        return text
    return text[: max(0, limit - len(ellipsis))].rstrip() + ellipsis


def format_date(value: date | datetime | None) -> str:
    if value is None:
        return "never"
    return f"{value:%d %b %Y}"


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """A count with the right form of its noun or verb: `1 persona`, `2 personas`, `0 personas`, and with an
    irregular form `plural(n, "needs review", "need review")`. Every surface counts with this (the `plural`
    filter in templates), so no sentence says "1 personas"."""
    form = singular if count == 1 else (plural_form if plural_form is not None else singular + "s")
    return f"{count:,} {form}"


def user_mention(user_id: str | None) -> str:
    """`<@U…>` for a well-formed Slack user id, nothing clickable for anything else."""
    if user_id and re.fullmatch(r"[UW][A-Z0-9]{2,}", user_id):
        return f"<@{user_id}>"
    return escape_mrkdwn(user_id or "nobody")


def _bytecode_cache() -> BytecodeCache | None:
    """Compiled templates kept between processes: Jinja's own cache, in a folder of the temp directory that only
    this user may write (Jinja checks), each entry checked against its template's source and Python's version.

    Compiling costs 10-100 ms a template (0.7 s for all of them), and every process (the web server, each clock,
    each command) would otherwise compile the ones it uses again; loaded from the cache they take 1-2 ms. None
    where no such folder can be had: templates are then compiled in memory, as before."""
    try:
        return FileSystemBytecodeCache()
    except (OSError, RuntimeError):
        return None


@cache
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("prompts", "."),
        bytecode_cache=_bytecode_cache(),
        auto_reload=False,  # templates ship with the code: a deploy restarts the process, so no stat per render
        undefined=StrictUndefined,
        autoescape=False,  # mrkdwn, not HTML: user text goes through the `mrkdwn` filter explicitly
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    env.filters["mrkdwn"] = escape_mrkdwn
    env.filters["plain"] = clean_plain
    env.filters["truncate_to"] = truncate
    env.filters["day"] = format_date
    env.filters["mention"] = user_mention
    env.filters["plural"] = plural
    return env


def warm() -> None:
    """Load every template now (for the web server, before it answers): a burst's first requests then never
    compile the same template side by side on several threads."""
    env = environment()
    for name in env.list_templates(extensions=["j2"]):
        env.get_template(name)


def render(template: str, /, **context: Any) -> str:
    """Render `prompts/<template>.j2`; trailing whitespace is trimmed (Slack refuses empty text anyway)."""
    return environment().get_template(f"{template}.j2").render(**context).strip()


def render_part(template: str, macro: str, /, *args: Any, **kwargs: Any) -> str:
    """Render one macro of `prompts/<template>.j2` (a surface keeps its pieces together in one file)."""
    module = environment().get_template(f"{template}.j2").module
    return str(getattr(module, macro)(*args, **kwargs)).strip()
