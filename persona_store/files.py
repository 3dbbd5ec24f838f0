"""Persona files (YAML, JSON, Markdown or CSV): parsing and validation, no database (roster files: roster_file.py).

Every problem is reported as a one-line sentence naming where it is (the persona by number and name, or the CSV
line) and the field, so a person can fix the file without reading code. A file is accepted whole or not at all.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from rapidfuzz import fuzz, process

from persona_store.models import ROLES, PersonaStatus
from persona_store.persona_documents import dump_markdown, parse_csv, parse_markdown, split_items
from persona_store.persona_spec import LIST_FIELDS, PERSONA_FIELDS, PersonaSpec

NAME_MAX = 150
ROLE_MAX = 150
KEY_MAX = 120
SUMMARY_MAX = 1_000
ITEM_MAX = 300

STATUSES = tuple(status.value for status in PersonaStatus)

KEY_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,119}$")
SLACK_USER_PATTERN = re.compile(r"^[UW][A-Z0-9]{2,}$")
# An owner may be given as an email in a file; the CLI resolves it to a Slack user before importing.
OWNER_EMAIL_PATTERN = re.compile(r"^[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;]+$")

_PERSONA_SUFFIXES = {".yml", ".yaml", ".json", ".md", ".markdown"}
_MARKDOWN_SUFFIXES = {".md", ".markdown"}


class FileError(ValueError):
    """A file was refused. The message is one line for a person; `problems` lists every problem found.

    `field_problems` maps a field name to its problem when a single persona was validated (for form errors).
    """

    def __init__(self, problems: str | Sequence[str], *, field_problems: Mapping[str, str] | None = None) -> None:
        self.problems: list[str] = [problems] if isinstance(problems, str) else list(problems)
        self.field_problems: dict[str, str] = dict(field_problems or {})
        first = self.problems[0] if self.problems else "the file could not be read"
        extra = len(self.problems) - 1
        message = f"{first} (and {extra} more problem{'s' if extra > 1 else ''})" if extra > 0 else first
        super().__init__(message)


# --- helpers shared with personas.py -------------------------------------------------------------------------


def fold_name(name: str) -> str:
    """The form names are compared in: case-folded, whitespace collapsed."""
    return " ".join(name.split()).casefold()


def slugify(name: str) -> str:
    """A stable key from a name: lowercase ASCII and hyphens; a short hash when nothing ASCII is left."""
    decomposed = unicodedata.normalize("NFKD", name)
    ascii_text = decomposed.encode("ascii", "ignore").decode("ascii").lower()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")
    slug = slug[:KEY_MAX].rstrip("-")
    if slug:
        return slug
    digest = hashlib.sha1(fold_name(name).encode("utf-8")).hexdigest()[:8]
    return f"persona-{digest}"


# --- reading -------------------------------------------------------------------------------------------------


def read_text_source(path_or_text: str | Path, filename: str | None) -> tuple[str, str | None]:
    """Text and a file name from a path or from text; a one-line string naming an existing file is read."""
    path: Path | None = None
    if isinstance(path_or_text, Path):
        path = path_or_text
    elif "\n" not in path_or_text and 0 < len(path_or_text) < 1024:
        candidate = Path(path_or_text)
        try:
            if candidate.is_file():
                path = candidate
        except OSError:  # a long or odd string is text, not a path
            path = None
    if path is None:
        text = str(path_or_text)
        return text.removeprefix("\ufeff"), filename
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise FileError(f"cannot read {path}: {exc.strerror or exc}") from exc
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FileError(f"{path.name} is not UTF-8 text (byte {exc.start})") from exc
    return text, filename or path.name


class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that refuses a mapping with the same key twice (PyYAML would silently keep the last)."""


def _construct_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _value_node in node.value:
        key = loader.construct_object(key_node)
        if isinstance(key, str) and key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"the field '{key}' appears twice in one mapping", key_node.start_mark
            )
        seen.add(key)
    return loader.construct_mapping(node)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _load_yaml(text: str) -> Any:
    try:
        return yaml.load(text, Loader=_UniqueKeyLoader)  # a SafeLoader subclass, so safe
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "cannot be parsed"
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        raise FileError(f"invalid YAML{where}: {problem}") from exc
    except yaml.YAMLError as exc:
        raise FileError(f"invalid YAML: {str(exc).splitlines()[0]}") from exc


def _no_duplicate_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"the field '{key}' appears twice in one object")
        out[key] = value
    return out


def _load_json(text: str) -> Any:
    try:
        return json.loads(text, object_pairs_hook=_no_duplicate_pairs)
    except json.JSONDecodeError as exc:
        raise FileError(f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}") from exc
    except ValueError as exc:
        raise FileError(f"invalid JSON: {exc}") from exc


# --- personas ------------------------------------------------------------------------------------------------


def parse_persona_file(path_or_text: str | Path, *, filename: str | None = None) -> list[PersonaSpec]:
    """Every persona in a YAML, JSON, Markdown (.md) or CSV persona file, or FileError listing every problem in it.

    Owners may be Slack user ids or emails; emails are for the caller to resolve (`bot.slack.people`) before import.
    """
    text, name = read_text_source(path_or_text, filename)
    if not text.strip():
        raise FileError("the persona file is empty")
    suffix = Path(name).suffix.lower() if name else ""
    if suffix in _MARKDOWN_SUFFIXES or suffix == ".csv":
        raws, problems = parse_markdown(text) if suffix != ".csv" else parse_csv(text)
        if not raws and not problems:
            problems = ["the file has no personas"]
        csv_file = suffix == ".csv"
        labels = [f"line {r.line}" if csv_file else f"persona {i} at line {r.line}" for i, r in enumerate(raws, 1)]
        return _build_all([raw.fields for raw in raws], labels, problems, [raw.problems for raw in raws])

    data = _load_json(text) if suffix == ".json" else _load_yaml(text)

    if isinstance(data, Mapping):
        extra = sorted(str(k) for k in data if k != "personas")
        if extra or "personas" not in data:
            found = f"found {', '.join(repr(k) for k in extra)}" if extra else "found no 'personas' key"
            raise FileError(f"the file needs a top-level 'personas:' list and nothing else ({found})")
        items = data["personas"]
        if items is None:
            items = []
    else:
        items = data
    if not isinstance(items, list):
        raise FileError("'personas' must be a list of personas, each a set of fields")
    return _build_all(items, [f"persona {i}" for i in range(1, len(items) + 1)], [], [[] for _ in items])


def _build_all(items: list[Any], labels: list[str], problems: list[str], found: list[list[str]]) -> list[PersonaSpec]:
    """Validate every persona, then the file as a whole: all problems at once, or every spec."""
    problems = list(problems)
    built: list[tuple[int, PersonaSpec]] = []
    for index, (item, label, early) in enumerate(zip(items, labels, found, strict=True)):
        where = _label(label, item)
        problems.extend(f"{where}: {problem}" for problem in early)
        try:
            built.append((index, build_persona_spec(item, label=label, allow_email_owner=True)))
        except FileError as exc:
            problems.extend(exc.problems)
    problems.extend(_duplicate_problems(items, labels, built))
    if problems:
        raise FileError(problems)
    return [spec for _, spec in built]


def _label(label: str, item: Any) -> str:
    name = item.get("name") if isinstance(item, Mapping) else None
    if isinstance(name, str) and name.strip():
        shown = " ".join(name.split())
        if len(shown) > 40:
            shown = shown[:39] + "…"
        return f"{label} ({shown})"
    return f"{label} (no name)"


def _duplicate_problems(items: list[Any], labels: list[str], built: list[tuple[int, PersonaSpec]]) -> list[str]:
    problems: list[str] = []
    by_name: dict[str, str] = {}
    by_key: dict[str, str] = {}
    for index, spec in built:
        label = labels[index]
        where = f"{label} ({spec.name})"
        folded = fold_name(spec.name)
        if folded in by_name:
            problems.append(f"{where}: name '{spec.name}' is already used by {by_name[folded]}")
        else:
            by_name[folded] = label
        if spec.key in by_key:
            explicit = isinstance(items[index], Mapping) and items[index].get("key")
            hint = "" if explicit else " (derived from the name; set a different 'key')"
            problems.append(f"{where}: key '{spec.key}' is already used by {by_key[spec.key]}{hint}")
        else:
            by_key[spec.key] = label
    return problems


def build_persona_spec(data: Any, *, label: str = "persona", allow_email_owner: bool = False) -> PersonaSpec:
    """Validate one persona's fields (from a file or a form) into a PersonaSpec, or raise FileError.

    Every problem is listed (several in one list field too); `field_problems` keeps the first per field (forms).
    With `allow_email_owner` (files), the owner may be an email, for the caller to resolve to a Slack user.
    """
    where = _label(label, data)
    if not isinstance(data, Mapping):
        raise FileError(f"{label}: expected a set of fields like 'name: …', found {_kind(data)}")
    problems: dict[str, str] = {}

    unknown = [str(k) for k in data if k not in PERSONA_FIELDS]
    for key in unknown:
        guess = process.extractOne(key, PERSONA_FIELDS, scorer=fuzz.ratio, score_cutoff=75)
        hint = f" (did you mean '{guess[0]}'?)" if guess else ""
        problems[key] = f"unknown field '{key}'{hint}; allowed fields are {', '.join(PERSONA_FIELDS)}"

    name = _text(data, "name", NAME_MAX, problems, collapse=True)
    if not name and "name" not in problems:
        problems["name"] = "name is required"

    key = ""
    raw_key = data.get("key")
    if raw_key is None or (isinstance(raw_key, str) and not raw_key.strip()):
        key = slugify(name) if name else ""
    elif not isinstance(raw_key, str):
        problems["key"] = f"key must be text, found {_kind(raw_key)}"
    else:
        key = raw_key.strip()
        if not KEY_PATTERN.match(key):
            problems["key"] = (
                f"key '{shorten(key)}' must be lowercase letters, digits and hyphens, "
                f"starting with a letter or digit, at most {KEY_MAX} characters"
            )

    role = _text(data, "role", ROLE_MAX, problems)
    summary = _text(data, "summary", SUMMARY_MAX, problems)
    lists = {name_: _string_list(data, name_, problems) for name_ in LIST_FIELDS}

    owner: str | None = _text(data, "owner", 254 if allow_email_owner else 32, problems) or None
    if owner is not None and allow_email_owner and OWNER_EMAIL_PATTERN.match(owner):
        owner = owner.lower()
    elif owner is not None and not SLACK_USER_PATTERN.match(owner):
        also = ", or an email" if allow_email_owner else ""
        problems["owner"] = f"owner '{shorten(owner)}' is not a Slack user id like U0123ABCD{also} (or leave it empty)"

    status = (_text(data, "status", 16, problems) or PersonaStatus.ACTIVE.value).lower()
    if "status" not in problems and status not in STATUSES:
        problems["status"] = f"status '{shorten(status)}' must be one of {', '.join(STATUSES)}"

    team_roles: tuple[str, ...] = ()
    given_roles = _string_list(data, "team_roles", problems, max_len=32)
    bad_roles = [r for r in given_roles if r.lower() not in ROLES]
    if bad_roles:
        problems["team_roles"] = (
            f"team_roles {', '.join(repr(r) for r in bad_roles)} not one of {', '.join(ROLES)} (empty means all)"
        )
    else:
        wanted = {r.lower() for r in given_roles}
        team_roles = tuple(r for r in ROLES if r in wanted)

    if problems:
        first_per_field = {name_: message for name_, message in problems.items() if "#" not in name_}
        raise FileError([f"{where}: {message}" for message in problems.values()], field_problems=first_per_field)
    return PersonaSpec(
        name=name,
        key=key,
        role=role,
        summary=summary,
        owner=owner,
        status=status,
        team_roles=team_roles,
        **lists,
    )


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, Mapping):
        return "a set of fields"
    return type(value).__name__


def shorten(text: str, limit: int = 40) -> str:
    """A quoted value in a problem line: at most `limit` characters."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _text(data: Mapping[str, Any], name: str, limit: int, problems: dict[str, str], *, collapse: bool = False) -> str:
    value = data.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        problems[name] = f"{name} must be text, found {_kind(value)}"
        return ""
    value = " ".join(value.split()) if collapse else value.strip()
    if len(value) > limit:
        problems[name] = f"{name} is {len(value)} characters long; the limit is {limit}"
    return value


def _string_list(
    data: Mapping[str, Any], name: str, problems: dict[str, str], max_len: int = ITEM_MAX
) -> tuple[str, ...]:
    """A list field: a list of strings, or one string with an item per line (a YAML `|` block, a pasted list)."""
    value = data.get(name)
    if value is None:
        return ()
    if isinstance(value, str):
        value = split_items(value)
    if not isinstance(value, list):
        problems[name] = f"{name} must be a list of short strings, found {_kind(value)}"
        return ()
    items: list[str] = []
    found: list[str] = []
    for position, item in enumerate(value, start=1):
        if item is None:
            continue
        if not isinstance(item, str):
            # `- Trend: deals stall` is a mapping in YAML; the fix is quoting, which nobody guesses.
            hint = " (put text containing ': ' in quotes)" if isinstance(item, Mapping) else ""
            found.append(f"{name} item {position} must be text, found {_kind(item)}{hint}")
            continue
        text = item.strip()
        if not text:
            continue
        if len(text) > max_len:
            found.append(f"{name} item {position} is {len(text)} characters long; the limit is {max_len}")
            continue
        items.append(text)
    for number, message in enumerate(found):
        problems[name if number == 0 else f"{name}#{number}"] = message  # every item's problem, the first per field
    return () if found else tuple(items)


class _IndentedDumper(yaml.SafeDumper):
    """Indents list items under their key, the way people write YAML by hand."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def dump_persona_file(specs: Iterable[PersonaSpec], fmt: Literal["yaml", "json", "md"] = "yaml") -> str:
    """A persona file that parses back to the same specs; empty optional fields are left out."""
    if fmt == "md":
        return dump_markdown(specs)
    personas = []
    for spec in specs:
        entry = spec.as_dict()
        if entry["owner"] is None:
            del entry["owner"]
        if not entry["team_roles"]:
            del entry["team_roles"]
        personas.append(entry)
    document = {"personas": personas}
    if fmt == "json":
        return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    if fmt == "yaml":
        return yaml.dump(
            document,
            Dumper=_IndentedDumper,
            sort_keys=False,
            allow_unicode=True,
            width=100,
            default_flow_style=False,
        )
    raise ValueError(f"unknown persona file format {fmt!r}; use 'yaml', 'json' or 'md'")


def persona_file_format(filename: str) -> Literal["yaml", "json", "md"]:
    """The format a file name asks for (for `export -o FILE`); FileError for any other extension."""
    suffix = Path(filename).suffix.lower()
    if suffix not in _PERSONA_SUFFIXES:
        raise FileError(f"{filename}: persona files end in .yaml, .yml, .json or .md")
    if suffix in _MARKDOWN_SUFFIXES:
        return "md"
    return "json" if suffix == ".json" else "yaml"


def is_timezone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True
