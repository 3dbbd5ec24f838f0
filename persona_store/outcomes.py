"""Evidence beyond opinions: deals and campaign results from CRM exports, and the figures they give per persona.

Reading a file: CSV with `,` or `;` (sniffed from the header line), columns named by a preset (HubSpot deals,
Salesforce opportunities, or plain field names), auto-detected from the header when none is given, or by a map
(column -> field). Values are parsed at the edge: a bad date or amount is a `RowProblem` with its line number.
Persona names are matched by name or key, fuzzily (rapidfuzz), never below `MATCH_THRESHOLD`; rows that don't
match are reported with the closest names.

Storing deals: rows stream from the file in chunks and are checked column by column (`CHUNK_SIZE`), staged in
a temporary table, and written by one `INSERT … SELECT … ON CONFLICT (workspace, deal) DO UPDATE` (SQLite and
PostgreSQL, which stages with `COPY`), so importing the same export twice updates rows and never duplicates
them. Everything is written inside the caller's transaction: when a row is bad (and `skip_bad` is off) the
import raises `RowsRejected` and the caller's rollback takes everything back, so nothing from a file with
errors is written. Campaign rows are added up in memory and upserted in batches of `BATCH_SIZE`.

Figures, per persona and quarter (`load_outcomes`): a deal counts as created in the quarter of its create date
and as won or lost in the quarter of its close date. Win rate = won / (won + lost), with that n. Medians (sales
cycle in days, amount of won deals) are computed in SQL with a window (ROW_NUMBER over the ordered values), so
nothing is loaded row by row. Drop-off = share of the lost deals lost at each stage. Campaigns: open rate,
engagement (clicks / sent) and conversion (conversions / sent), against the previous period.
"""

from __future__ import annotations

import csv
import io
import json
import math
import operator
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from itertools import islice, repeat
from pathlib import Path
from typing import Any, Literal

import yaml
from rapidfuzz import fuzz, process
from sqlalchemy import ColumnElement, Select, and_, case, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from persona_store.files import FileError
from persona_store.models import CampaignResult, Deal, Feedback, Persona, Workspace, utcnow
from persona_store.quarters import Period, Quarter, QuarterError, parse_quarter, quarter_of, quarters_between
from persona_store.search import normalise

Kind = Literal["deals", "campaigns"]
KINDS: tuple[Kind, ...] = ("deals", "campaigns")

DEAL_FIELDS = (
    "deal_id",
    "name",
    "stage",
    "amount",
    "created",
    "closed",
    "outcome",
    "is_closed",
    "lost_reason",
    "lost_stage",
    "persona",
)
CAMPAIGN_FIELDS = ("campaign", "persona", "period", "sent", "opened", "clicked", "converted")
REQUIRED_FIELDS: dict[str, tuple[str, ...]] = {
    "deals": ("deal_id", "persona"),
    "campaigns": ("campaign", "persona", "period", "sent"),
}

# Column names per preset (compared case-insensitively, spaces and punctuation ignored).
PRESETS: dict[str, dict[str, tuple[str, ...]]] = {
    "hubspot": {
        "deal_id": ("Record ID", "Deal ID", "hs_object_id"),
        "name": ("Deal Name", "dealname"),
        "stage": ("Deal Stage", "dealstage"),
        "amount": ("Amount", "amount"),
        "created": ("Create Date", "createdate"),
        "closed": ("Close Date", "closedate"),
        "outcome": ("Is Closed Won", "hs_is_closed_won"),
        "is_closed": ("Is Deal Closed?", "Is Closed", "hs_is_closed"),
        "lost_reason": ("Closed Lost Reason", "closed_lost_reason"),
        "lost_stage": ("Last Stage Before Lost", "Stage Lost At"),
        "persona": ("Persona", "hs_persona", "Contact Persona", "Associated Contact Persona", "Deal Persona"),
    },
    "salesforce": {
        "deal_id": ("Opportunity ID", "Opportunity Id", "Id"),
        "name": ("Opportunity Name", "Name"),
        "stage": ("Stage", "StageName"),
        "amount": ("Amount",),
        "created": ("Created Date", "CreatedDate"),
        "closed": ("Close Date", "CloseDate"),
        "outcome": ("Won", "IsWon"),
        "is_closed": ("Closed", "IsClosed"),
        "lost_reason": ("Loss Reason", "Closed Lost Reason", "Loss_Reason__c", "Reason Lost"),
        "lost_stage": ("Last Stage", "Stage Before Lost", "Last_Stage__c"),
        "persona": ("Persona", "Persona__c", "Primary Contact Persona", "Contact Persona"),
    },
}
# Without a preset or a map: the field names themselves, and a few obvious spellings.
GENERIC: dict[str, dict[str, tuple[str, ...]]] = {
    "deals": {
        "deal_id": ("deal_id", "deal id", "id", "deal"),
        "name": ("name", "deal name"),
        "stage": ("stage",),
        "amount": ("amount", "value"),
        "created": ("created", "create date", "created date", "created_on"),
        "closed": ("closed", "close date", "closed date", "closed_on"),
        "outcome": ("outcome", "won/lost", "won lost", "result", "status"),
        "is_closed": ("is_closed",),
        "lost_reason": ("lost_reason", "lost reason", "loss reason"),
        "lost_stage": ("lost_stage", "lost stage", "lost at stage"),
        "persona": ("persona", "persona name", "persona key"),
    },
    "campaigns": {
        "campaign": ("campaign", "campaign name"),
        "persona": ("persona", "persona name", "persona key", "audience"),
        "period": ("period", "quarter", "date", "month", "send date"),
        "sent": ("sent", "emails sent", "delivered", "recipients"),
        "opened": ("opened", "opens", "unique opens"),
        "clicked": ("clicked", "clicks", "unique clicks"),
        "converted": ("converted", "conversions"),
    },
}

BATCH_SIZE = 2_000
MAX_PROBLEMS_KEPT = 50  # every bad row is counted; the first ones are listed
MATCH_THRESHOLD = 88.0  # token-sort ratio; below it against every persona a name is not matched: no guessing
MATCH_MARGIN = 4.0  # … and the best must lead a different persona's score by this much
SUGGEST_THRESHOLD = 55.0  # closest names offered for an unmatched row
MAX_SUGGESTIONS = 3
TEXT_MAX = {"deal_id": 128, "name": 255, "stage": 120, "lost_stage": 120, "lost_reason": 255, "persona": 255}
CAMPAIGN_MAX = 255
MAX_AMOUNT_CENTS = 10**17

WON, LOST, OPEN = "won", "lost", "open"
_WON_WORDS = {"won", "closed won", "closedwon", "win", "true", "yes", "1", "y"}
_LOST_WORDS = {"lost", "closed lost", "closedlost", "loss", "lose"}
_NO_WORDS = {"false", "no", "0", "n"}
NO_STAGE = "(stage not recorded)"
NO_REASON = "(no reason given)"

_HEADER_CLEAN = re.compile(r"[^a-z0-9]+")
_AMOUNT_CLEAN = re.compile(r"[^\d.,\-]")
_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_REF_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_\-]{2,127}")


def _header_key(text: str) -> str:
    return _HEADER_CLEAN.sub("", text.casefold())


# --- reading the file -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RowProblem:
    line: int
    field: str
    value: str
    reason: str

    def sentence(self) -> str:
        shown = self.value if len(self.value) <= 40 else self.value[:39] + "…"
        return f"line {self.line}: {self.field} “{shown}” {self.reason}"


class _BadValue(ValueError):
    pass


def sniff_delimiter(header_line: str) -> str:
    """`;` when the header has more semicolons than commas (European spreadsheet exports), else `,`."""
    return ";" if header_line.count(";") > header_line.count(",") else ","


class CsvRows:
    """The data rows of an open CSV file (iterable once); `close()` releases the file, started or not."""

    def __init__(self, stream: io.TextIOBase, delimiter: str) -> None:
        self._stream = stream
        self._reader = csv.reader(stream, delimiter=delimiter)

    def __iter__(self) -> Iterator[list[str]]:
        try:
            yield from self._reader  # delegated in C: a Python __next__ per row cost a tenth of an import
        except UnicodeDecodeError:
            raise FileError("the file isn't UTF-8 text; export it as CSV (UTF-8)") from None
        except csv.Error as error:
            raise FileError(f"the file isn't valid CSV ({error})") from None

    def chunks(self, size: int) -> Iterator[list[list[str]]]:
        """The rows `size` at a time, straight from the C reader (no generator step per row)."""
        reader = self._reader
        while True:
            try:
                chunk = list(islice(reader, size))
            except UnicodeDecodeError:
                raise FileError("the file isn't UTF-8 text; export it as CSV (UTF-8)") from None
            except csv.Error as error:
                raise FileError(f"the file isn't valid CSV ({error})") from None
            if not chunk:
                return
            yield chunk

    def close(self) -> None:
        self._stream.close()


def open_csv(source: Path | str | bytes) -> tuple[list[str], CsvRows]:
    """The header and the rows, streaming from a path (or reading bytes/text), `,` or `;` sniffed. Close the rows."""
    stream: io.TextIOBase
    if isinstance(source, Path):
        try:
            stream = source.open("r", encoding="utf-8-sig", newline="")
        except OSError as error:
            raise FileError(f"can't read {source.name}: {error.strerror or error}") from None
    elif isinstance(source, bytes):
        try:
            text = source.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = source.decode("cp1252", errors="replace")
        stream = io.StringIO(text, newline="")
    else:
        stream = io.StringIO(source, newline="")
    try:
        first = stream.readline()
    except UnicodeDecodeError:
        stream.close()
        raise FileError("the file isn't UTF-8 text; export it as CSV (UTF-8)") from None
    if not first.strip():
        stream.close()
        raise FileError("the file is empty; it needs a header line naming its columns")
    delimiter = sniff_delimiter(first)
    header = next(csv.reader([first], delimiter=delimiter))
    return [h.strip() for h in header], CsvRows(stream, delimiter)


def read_map_file(path: Path) -> dict[str, str]:
    """A `--map` file: YAML or JSON, `column: field` (e.g. `Opportunity Number: deal_id`)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as error:
        raise FileError(f"can't read the map file {path.name}: {error.strerror or error}") from None
    try:
        loaded = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError):
        raise FileError(f"the map file {path.name} isn't valid YAML or JSON") from None
    if not isinstance(loaded, Mapping) or not loaded:
        raise FileError(f"the map file {path.name} must map column names to fields, e.g. `Deal Number: deal_id`")
    return {str(column): str(target) for column, target in loaded.items()}


@dataclass(frozen=True)
class Columns:
    """Which column index holds each field, and how the columns were chosen."""

    kind: Kind
    index: dict[str, int]
    preset: str  # "hubspot", "salesforce", "generic" or "map"

    def get(self, row: Sequence[str], name: str) -> str:
        i = self.index.get(name)
        if i is None or i >= len(row):
            return ""
        return row[i].strip()


def _match_aliases(header: Sequence[str], aliases: Mapping[str, tuple[str, ...]]) -> dict[str, int]:
    keys = [_header_key(h) for h in header]
    found: dict[str, int] = {}
    for name, names in aliases.items():
        for alias in names:
            wanted = _header_key(alias)
            if wanted in keys:
                found[name] = keys.index(wanted)
                break
    return found


def detect_preset(header: Sequence[str]) -> str | None:
    """The preset naming most of the header's columns (it must name the deal id and persona columns), unless
    plain field names (`deal_id`, `persona`, `created` …) name more of them."""
    keys = {_header_key(h) for h in header}
    best: tuple[float, str] | None = None
    candidates = [*PRESETS.items(), ("generic", GENERIC["deals"])]
    for name, aliases in candidates:
        found = _match_aliases(header, aliases)
        if not all(f in found for f in REQUIRED_FIELDS["deals"]):
            continue
        # A preset's own deal id column ("Record ID", "Opportunity ID") breaks ties.
        score = len(found) + (0.5 if name in PRESETS and _header_key(aliases["deal_id"][0]) in keys else 0.0)
        if best is None or score > best[0]:
            best = (score, name)
    return best[1] if best and best[1] != "generic" else None


def guess_kind(header: Sequence[str]) -> Kind:
    """Campaign results when the header names a campaign and what was sent but no deal id; else deals."""
    campaign = _match_aliases(header, GENERIC["campaigns"])
    if all(f in campaign for f in REQUIRED_FIELDS["campaigns"]) and detect_preset(header) is None:
        deal = _match_aliases(header, GENERIC["deals"])
        if "deal_id" not in deal:
            return "campaigns"
    return "deals"


def resolve_columns(
    header: Sequence[str], kind: Kind, preset: str | None = None, mapping: Mapping[str, str] | None = None
) -> Columns:
    """Field -> column for this header, from a map, a named preset, or the one detected; FileError when unusable."""
    fields = DEAL_FIELDS if kind == "deals" else CAMPAIGN_FIELDS
    if mapping:
        keys = {_header_key(h): i for i, h in enumerate(header)}
        index: dict[str, int] = {}
        problems: list[str] = []
        for column, target in mapping.items():
            name = target.strip().lower()
            if name == "date" and kind == "campaigns":
                name = "period"
            if name not in fields:
                problems.append(f"the map names “{target}”, which isn't a field; fields are {', '.join(fields)}")
            elif _header_key(column) not in keys:
                problems.append(f"the map names the column “{column}”, which the file doesn't have")
            else:
                index[name] = keys[_header_key(column)]
        if problems:
            raise FileError(problems)
        columns = Columns(kind, index, "map")
    elif kind == "deals" and preset:
        if preset not in PRESETS:
            raise FileError(f"unknown preset “{preset}”; use {' or '.join(PRESETS)}, or --map FILE")
        columns = Columns(kind, _match_aliases(header, PRESETS[preset]), preset)
    else:
        detected = detect_preset(header) if kind == "deals" else None
        if detected:
            columns = Columns(kind, _match_aliases(header, PRESETS[detected]), detected)
        else:
            columns = Columns(kind, _match_aliases(header, GENERIC[kind]), "generic")
    missing = [f for f in REQUIRED_FIELDS[kind] if f not in columns.index]
    if missing:
        shown = ", ".join(h for h in header[:8] if h) or "none"
        raise FileError(
            f"can't find the {' and '.join(m.replace('_', ' ') for m in missing)} column"
            f"{'s' if len(missing) > 1 else ''} (the header has: {shown}); "
            "pass --preset hubspot|salesforce, or --map FILE naming them"
        )
    return columns


def parse_date(text: str) -> date | None:
    """ISO dates and timestamps, `MM/DD/YYYY` (or `DD/MM/YYYY` when the day can't be a month), `DD.MM.YYYY`."""
    if not text:
        return None
    if len(text) >= 10 and text[4] == "-":
        try:
            return date.fromisoformat(text[:10])
        except ValueError:
            raise _BadValue("isn't a date (write it like 2026-03-31)") from None
    day_part = text.split()[0].split("T")[0]
    try:
        if "/" in day_part:
            a, b, c = (int(p) for p in day_part.split("/"))
            if c < 100:
                c += 2000
            return date(c, b, a) if a > 12 else date(c, a, b)
        if "." in day_part:
            d, m, y = (int(p) for p in day_part.split("."))
            return date(y if y >= 100 else y + 2000, m, d)
    except ValueError:
        pass
    raise _BadValue("isn't a date (write it like 2026-03-31)")


def parse_amount(text: str) -> int | None:
    """An amount in cents: `12500`, `12,500.00`, `12.500,00`, `$12,500`, `€ 1 200,50`; negative is refused."""
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        cleaned = _AMOUNT_CLEAN.sub("", text)
        if not any(ch.isdigit() for ch in cleaned):
            raise _BadValue("isn't an amount (write it like 12500.00)") from None
        if "," in cleaned and "." in cleaned:
            if cleaned.rfind(",") > cleaned.rfind("."):
                cleaned = cleaned.replace(".", "").replace(",", ".")
            else:
                cleaned = cleaned.replace(",", "")
        elif "," in cleaned:
            head, _, tail = cleaned.rpartition(",")
            cleaned = (head.replace(",", "") + "." + tail) if len(tail) != 3 else cleaned.replace(",", "")
        try:
            value = float(cleaned)
        except ValueError:
            raise _BadValue("isn't an amount (write it like 12500.00)") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise _BadValue("isn't an amount (write it like 12500.00)")
    if value < 0:
        raise _BadValue("is negative; an amount is zero or more")
    cents = round(value * 100)
    if cents >= MAX_AMOUNT_CENTS:
        raise _BadValue("is too large to be an amount")
    return cents


def parse_count(text: str) -> int:
    if not text:
        return 0
    try:
        value = float(text.replace(",", "").replace(" ", ""))
    except ValueError:
        raise _BadValue("isn't a whole number") from None
    if value < 0 or value != int(value):
        raise _BadValue("isn't a whole number of zero or more")
    return int(value)


def parse_period_cell(text: str) -> str:
    """A quarter label from `2026-Q3`, `2026-09` (a month) or a date."""
    if not text:
        raise _BadValue("is empty; give a quarter (2026-Q3), a month (2026-09) or a date")
    try:
        return parse_quarter(text).label
    except QuarterError:
        pass
    month = _MONTH.match(text.strip())
    if month and 1 <= int(month.group(2)) <= 12:
        return quarter_of(date(int(month.group(1)), int(month.group(2)), 1)).label
    try:
        day = parse_date(text)
    except _BadValue:
        raise _BadValue("isn't a quarter (2026-Q3), a month (2026-09) or a date") from None
    assert day is not None
    return quarter_of(day).label


def decide_outcome(outcome: str, is_closed: str, stage: str) -> str:
    """won | lost | open, from the outcome column, the closed flag and the stage's own words."""
    said = outcome.casefold().strip()
    stage_words = stage.casefold()
    if said in _WON_WORDS or said.startswith("closed won"):
        return WON
    if said in _LOST_WORDS or said.startswith("closed lost"):
        return LOST
    closed_flag = is_closed.casefold().strip()
    if "won" in stage_words and "lost" not in stage_words:
        return WON
    if "lost" in stage_words or (said in _NO_WORDS and closed_flag in _WON_WORDS):
        return LOST
    return OPEN


def _closing_stage(stage: str) -> bool:
    words = stage.casefold()
    return "won" in words or "lost" in words or "closed" in words


# --- matching personas ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MatchablePersona:
    """What an outcome row's persona column is matched against: the key and the name."""

    id: int
    key: str
    name: str


@dataclass(frozen=True)
class Match:
    persona_id: int | None
    suggestions: tuple[str, ...] = ()


class PersonaMatcher:
    """Export persona names -> personas, by name or key, fuzzily; each distinct name is scored once."""

    def __init__(self, personas: Sequence[MatchablePersona]) -> None:
        self._exact: dict[str, int] = {}
        self._choices: list[str] = []
        self._owners: list[MatchablePersona] = []
        for p in personas:
            for form in (normalise(p.name), normalise(p.key.replace("-", " "))):
                if form:
                    self._exact.setdefault(form, p.id)
                    self._choices.append(form)
                    self._owners.append(p)
        self._cache: dict[str, Match] = {}

    def match(self, label: str) -> Match:
        found = self._cache.get(label)
        if found is None:
            found = self._cache[label] = self._score(label)
        return found

    def _ranked(self, wanted: str, scorer: Any) -> list[tuple[int, float]]:
        """(persona id, best score over its name and key), best first."""
        best: dict[int, float] = {}
        for _choice, score, i in process.extract(wanted, self._choices, scorer=scorer, limit=None):
            owner = self._owners[i].id
            best[owner] = max(best.get(owner, 0.0), float(score))
        return sorted(best.items(), key=lambda item: (-item[1], item[0]))

    def _score(self, label: str) -> Match:
        wanted = normalise(label)
        if not wanted:
            return Match(None)
        exact = self._exact.get(wanted)
        if exact is not None:
            return Match(exact)
        strict = self._ranked(wanted, fuzz.token_sort_ratio)
        top = strict[0][1] if strict else 0.0
        clear = len(strict) == 1 or (len(strict) > 1 and top - strict[1][1] >= MATCH_MARGIN)
        if top >= MATCH_THRESHOLD and clear:
            return Match(strict[0][0])
        # Suggestions may be looser than a match ("Mary" -> Marketing Director Mary): a person picks, we don't.
        names = {p.id: p.name for p in self._owners}
        loose = self._ranked(wanted, fuzz.WRatio)
        suggestions = tuple(names[pid] for pid, score in loose[:MAX_SUGGESTIONS] if score >= SUGGEST_THRESHOLD)
        return Match(None, suggestions)


def persona_refs(session: Session, workspace_id: int) -> list[MatchablePersona]:
    rows = session.execute(
        select(Persona.id, Persona.key, Persona.name).where(Persona.workspace_id == workspace_id).order_by(Persona.id)
    )
    return [MatchablePersona(int(pid), key, name) for pid, key, name in rows]


# --- importing --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Unmatched:
    label: str
    rows: int
    first_line: int
    suggestions: tuple[str, ...]


@dataclass
class ImportReport:
    """What an import did (or, with `written` False, would have done) and what it couldn't use."""

    kind: Kind
    preset: str
    rows: int = 0
    written: int = 0  # rows stored (inserted or updated)
    new: int = 0
    updated: int = 0
    unmatched: list[Unmatched] = field(default_factory=list)
    unmatched_rows: int = 0
    without_persona: int = 0
    problems: list[RowProblem] = field(default_factory=list)
    problem_count: int = 0
    skipped_bad: int = 0  # bad rows left out with skip_bad
    committed: bool = False

    @property
    def ok(self) -> bool:
        return self.committed


class RowsRejected(Exception):
    """Some rows were bad and `skip_bad` was off: the caller's transaction must roll back (nothing is written)."""

    def __init__(self, report: ImportReport) -> None:
        super().__init__(f"{report.problem_count} bad rows")
        self.report = report


def _upsert(session: Session, table: Any, conflict: Sequence[str], update: Sequence[str]) -> Any:
    name = session.get_bind().dialect.name
    if name == "postgresql":
        stmt: Any = postgresql.insert(table)
    elif name == "sqlite":
        stmt = sqlite.insert(table)
    else:  # pragma: no cover - persona-bot supports SQLite and PostgreSQL only
        raise NotImplementedError(name)
    return stmt.on_conflict_do_update(index_elements=list(conflict), set_={c: stmt.excluded[c] for c in update})


_DEAL_UPDATE = (
    "deal_id",
    "name",
    "stage",
    "lost_stage",
    "outcome",
    "amount_cents",
    "created_on",
    "closed_on",
    "created_quarter",
    "closed_quarter",
    "cycle_days",
    "lost_reason",
    "persona_id",
    "persona_label",
    "updated_at",
)


class _Unmatched:
    def __init__(self) -> None:
        self.by_label: dict[str, list[Any]] = {}
        self.rows = 0

    def add(self, label: str, line: int, suggestions: tuple[str, ...]) -> None:
        self.add_many(label, 1, line, suggestions)

    def add_many(self, label: str, rows: int, line: int, suggestions: tuple[str, ...]) -> None:
        """`rows` more rows naming `label`; `line` is the first of them (calls come in line order)."""
        self.rows += rows
        entry = self.by_label.get(label)
        if entry is None:
            self.by_label[label] = [rows, line, suggestions]
        else:
            entry[0] += rows

    def listed(self) -> list[Unmatched]:
        found = [Unmatched(label, n, line, sugg) for label, (n, line, sugg) in self.by_label.items()]
        found.sort(key=lambda u: (-u.rows, u.first_line))
        return found


_DEAL_COLUMNS = ("workspace_id", "deal_key", *_DEAL_UPDATE)


def _deal_upsert_sql(dialect: str, paramstyle: str) -> str:
    """`INSERT … ON CONFLICT (workspace_id, deal_key) DO UPDATE`: the same SQL on SQLite and PostgreSQL.

    Written once as text and run with the driver's executemany: for 200,000 rows SQLAlchemy's per-row parameter
    processing cost more than the database did.
    """
    if dialect not in ("sqlite", "postgresql"):  # pragma: no cover - persona-bot supports these two only
        raise NotImplementedError(dialect)
    mark = "?" if paramstyle == "qmark" else "%s"
    distinct = "IS NOT" if dialect == "sqlite" else "IS DISTINCT FROM"  # null-safe "differs"
    columns = ", ".join(_DEAL_COLUMNS)
    marks = "(" + ", ".join(mark for _ in _DEAL_COLUMNS) + ")"
    updates = ", ".join(f"{c} = excluded.{c}" for c in _DEAL_UPDATE)
    # A row the export repeats unchanged is left alone: re-importing the same file rewrites nothing.
    changed = " OR ".join(f"deals.{c} {distinct} excluded.{c}" for c in _DEAL_UPDATE if c != "updated_at")
    return (
        f"INSERT INTO deals ({columns}) VALUES {marks} "
        f"ON CONFLICT (workspace_id, deal_key) DO UPDATE SET {updates} WHERE {changed}"
    )


def _sqlite_datetime(value: datetime) -> str:
    """How SQLAlchemy's SQLite DateTime stores a (UTC) value, so rows written here read back the same."""
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def import_deals(
    session: Session,
    workspace_id: int,
    rows: Iterable[Sequence[str]],
    columns: Columns,
    *,
    skip_bad: bool = False,
    first_line: int = 2,
) -> ImportReport:
    """Store deal rows (line numbers count the header as line 1); RowsRejected when any is bad and not skip_bad.

    The hot path of a 200,000-row import, so it works a chunk of rows at a time, column by column (`zip`, `map`
    over str methods and dict lookups, all in C), rather than row by row in Python: ids, amounts and dates are
    checked per column, dates are parsed once per distinct text, and the low-variety cells of a row (stage,
    outcome, closed flag, lost stage, lost reason, persona) are decided once per distinct combination, a
    *profile*. Only a column that has a problem is walked row by row, to name the line.
    """
    report = ImportReport("deals", columns.preset)
    matcher = PersonaMatcher(persona_refs(session, workspace_id))
    unmatched = _Unmatched()
    before = _count(session, select(func.count()).select_from(Deal).where(Deal.workspace_id == workspace_id))
    stage = _DealStage(session.connection(), workspace_id, utcnow())
    positions = {name: columns.index.get(name, -1) for name in DEAL_FIELDS}
    width = max(positions.values()) + 1
    pad = [""] * width
    days: set[int] = set()
    created_cells, closed_cells = _DateCells(NO_DAY, days), _DateCells(NO_CLOSE, days)
    profiles = _Profiles(matcher)
    profile_fields = [name for name in _PROFILE_FIELDS if positions[name] >= 0]
    writing = True
    line = first_line
    for chunk in _chunks(rows, CHUNK_SIZE):
        lines: Sequence[int] = range(line, line + len(chunk))
        line += len(chunk)
        if min(map(len, chunk)) < width:  # short rows are padded; blank lines are left out (and keep their number)
            kept, kept_lines = [], []
            for number, row in zip(lines, chunk, strict=True):
                if len(row) < width:
                    if not row or (len(row) == 1 and not row[0].strip()):
                        continue
                    row = [*row, *pad[len(row) :]]
                kept.append(row)
                kept_lines.append(number)
            chunk, lines = kept, kept_lines
            if not chunk:
                continue
        n = len(chunk)
        report.rows += n
        cells = list(zip(*chunk, strict=False))  # column-major; every row has at least `width` cells now
        blank = ("",) * n

        def column(name: str) -> Sequence[str]:
            i = positions[name]
            return cells[i] if i >= 0 else blank  # noqa: B023 - used inside this iteration only

        problems: dict[int, RowProblem] = {}  # chunk index -> the row's first problem, checked in column order
        ids = list(map(str.strip, column("deal_id")))
        if not all(ids) or max(map(len, ids)) > TEXT_MAX["deal_id"]:
            for k, deal_id in enumerate(ids):
                if not deal_id:
                    problems[k] = RowProblem(lines[k], "deal id", deal_id, "is missing")
                elif len(deal_id) > TEXT_MAX["deal_id"]:
                    reason = f"is longer than {TEXT_MAX['deal_id']} characters"
                    problems[k] = RowProblem(lines[k], "deal id", deal_id, reason)
        amounts = _amount_column(list(map(str.strip, column("amount"))), lines, problems)
        created_text = list(map(str.strip, column("created")))
        created = created_cells.column(created_text, "create date", lines, problems)
        closed_text = list(map(str.strip, column("closed")))
        closed = closed_cells.column(closed_text, "close date", lines, problems)
        # Day ordinals; a missing close date counts as after every date, a missing create date as before.
        if any(map(operator.lt, closed, created)):
            for k, (start, end) in enumerate(zip(created, closed, strict=True)):
                if end < start and k not in problems:
                    reason = f"is before the create date {date.fromordinal(start)}"
                    problems[k] = RowProblem(lines[k], "close date", closed_text[k], reason)
        if problems:
            for k in sorted(problems):
                report.problem_count += 1
                if len(report.problems) < MAX_PROBLEMS_KEPT:
                    report.problems.append(problems[k])
            if skip_bad:
                report.skipped_bad += len(problems)
            else:
                writing = False
        if not writing:
            continue
        profile_ids = profiles.ids([column(name) for name in profile_fields], profile_fields)
        names = map(str.strip, column("name"))
        good = list(zip(ids, names, amounts, created, closed, profile_ids, strict=True))
        if problems:
            good = [row for k, row in enumerate(good) if k not in problems]
            ids = [deal_id for k, deal_id in enumerate(ids) if k not in problems]
            lines = [number for k, number in enumerate(lines) if k not in problems]
            profile_ids = [pid for k, pid in enumerate(profile_ids) if k not in problems]
        profiles.count(profile_ids, lines, unmatched, report)
        stage.add(good, None if "".join(ids).isascii() else [deal_id.casefold() for deal_id in ids])
    report.unmatched = unmatched.listed()
    report.unmatched_rows = unmatched.rows
    if not writing:
        raise RowsRejected(report)
    report.written = stage.finish(profiles.found, sorted(days))
    after = _count(session, select(func.count()).select_from(Deal).where(Deal.workspace_id == workspace_id))
    report.new = after - before
    report.updated = report.written - report.new
    report.committed = True
    if report.written:
        _mark_changed(session, workspace_id)
    return report


def _mark_changed(session: Session, workspace_id: int) -> None:
    """Note in the workspace's row that its outcome data changed (cards read it: `catalogue_version`)."""
    session.execute(update(Workspace).where(Workspace.id == workspace_id).values(outcomes_changed_at=utcnow()))


def _chunks(rows: Iterable[Sequence[str]], size: int) -> Iterator[Sequence[Sequence[str]]]:
    if isinstance(rows, CsvRows):
        yield from rows.chunks(size)
        return
    reader = iter(rows)
    while chunk := list(islice(reader, size)):
        yield chunk


CHUNK_SIZE = 500  # rows read, checked and written together: big enough for the columns, small enough for the cache


def _amount_column(texts: list[str], lines: Sequence[int], problems: dict[int, RowProblem]) -> list[int | None]:
    """Cents per row; a cell that isn't an amount is a problem of its row (unless the row already has one)."""
    try:
        values = list(map(float, texts))  # every cell a plain number: one C call per cell
    except ValueError:
        values = []
    if values and min(values) >= 0 and max(values) * 100 < MAX_AMOUNT_CENTS - 1 and not any(map(math.isnan, values)):
        return [round(value * 100) for value in values]
    cents: list[int | None] = []
    for k, text in enumerate(texts):
        try:
            cents.append(parse_amount(text))
        except _BadValue as bad:
            cents.append(None)
            problems.setdefault(k, RowProblem(lines[k], "amount", text, str(bad)))
    return cents


NO_DAY = 0  # a missing create date: before every date
NO_CLOSE = 10**7  # a missing close date: after every date (ordinals end at 3,652,059)


class _DateCells:
    """Date cells of one column -> day ordinals, each distinct text parsed once (a bounded cache: exports repeat
    their dates); an empty cell is `empty`. Every day seen is added to `days`."""

    LIMIT = 50_000

    def __init__(self, empty: int, days: set[int]) -> None:
        self._empty = empty
        self._days = days
        self._heads: dict[str, int] = {"": empty}  # ISO texts by their first ten characters
        self._texts: dict[str, int] = {"": empty}  # every other text, whole
        self._bad: dict[str, str] = {}  # text (an ISO text's head) -> why it isn't a date

    def column(
        self, texts: list[str], field_name: str, lines: Sequence[int], problems: dict[int, RowProblem]
    ) -> list[int]:
        # `parse_date` reads an ISO text by its first ten characters (a time after them changes nothing), so
        # those are its key: a timestamped column misses the cache once per day, not once per minute.
        heads: list[str] = list(map(operator.getitem, texts, repeat(_ISO_HEAD)))
        try:
            return list(map(self._heads.__getitem__, heads))  # every day seen before: one C call each
        except KeyError:
            pass
        try:
            return list(map(self._texts.__getitem__, texts))
        except KeyError:
            pass
        if len(self._heads) + len(self._texts) > self.LIMIT:
            self._heads, self._texts = {"": self._empty}, {"": self._empty}
        found: list[int] = []
        for k, (text, head) in enumerate(zip(texts, heads, strict=True)):
            iso = _iso_shaped(text)
            key, cache = (head, self._heads) if iso else (text, self._texts)
            ordinal = cache.get(key)
            if ordinal is None:
                reason = self._bad.get(key)
                if reason is None:
                    try:
                        day = parse_date(text)
                    except _BadValue as bad:
                        reason = self._bad[key] = str(bad)
                    else:
                        assert day is not None
                        ordinal = cache[key] = day.toordinal()
                        self._days.add(ordinal)
                if reason is not None:
                    problems.setdefault(k, RowProblem(lines[k], field_name, text, reason))
            found.append(self._empty if ordinal is None else ordinal)
        return found


_ISO_HEAD = slice(0, 10)


def _iso_shaped(text: str) -> bool:
    """`parse_date` reads such a text by its first ten characters alone."""
    return len(text) >= 10 and text[4] == "-"


@dataclass(frozen=True)
class _Profile:
    """What a deal's low-variety cells decide: its stage, outcome, where it was lost, why, and its persona."""

    stage: str
    lost_stage: str
    outcome: str
    lost_reason: str
    persona_id: int | None
    persona_label: str
    suggestions: tuple[str, ...]


class _Profiles:
    """(outcome, closed flag, stage, lost stage, lost reason, persona) cells -> a profile id, each decided once."""

    def __init__(self, matcher: PersonaMatcher) -> None:
        self._matcher = matcher
        self._ids: dict[tuple[str, ...], int] = {}
        self.found: list[_Profile] = []

    def ids(self, cells: Sequence[Sequence[str]], names: Sequence[str]) -> list[int]:
        """One id per row; `cells` are the columns the file has, named by `names` (the others are empty)."""
        keys: list[tuple[str, ...]] = list(zip(*cells, strict=True))
        try:
            return list(map(self._ids.__getitem__, keys))  # every combination seen before
        except KeyError:
            new = set(keys).difference(self._ids)
        for key in sorted(new):
            given = dict(zip(names, key, strict=True))
            self._ids[key] = len(self.found)
            self.found.append(self._decide(**{name: given.get(name, "") for name in _PROFILE_FIELDS}))
        return list(map(self._ids.__getitem__, keys))

    def _decide(
        self, outcome: str, is_closed: str, stage: str, lost_stage: str, lost_reason: str, persona: str
    ) -> _Profile:
        stage = stage.strip()[: TEXT_MAX["stage"]]
        decided, lost_at = _fate(outcome, is_closed, stage, lost_stage)
        label = persona.strip()[: TEXT_MAX["persona"]]
        match = self._matcher.match(label) if label else Match(None)
        reason = lost_reason.strip()[: TEXT_MAX["lost_reason"]] if decided == LOST else ""
        return _Profile(stage, lost_at, decided, reason, match.persona_id, label, match.suggestions)

    def count(self, ids: Sequence[int], lines: Sequence[int], unmatched: _Unmatched, report: ImportReport) -> None:
        """Count the rows without a persona and those naming one that matched nothing (with its first line)."""
        for pid, rows in Counter(ids).items():
            profile = self.found[pid]
            if profile.persona_id is not None:
                continue
            if not profile.persona_label:
                report.without_persona += rows
                continue
            unmatched.add_many(profile.persona_label, rows, lines[ids.index(pid)], profile.suggestions)


_PROFILE_FIELDS = ("outcome", "is_closed", "stage", "lost_stage", "lost_reason", "persona")
_STAGE_COLUMNS = "k, a, b, c, d, e, f"  # deal key (when not ASCII), id, name, cents, created, closed, profile


class _DealStage:
    """Checked deal rows staged in a temporary table without indexes, then written to `deals` by one
    `INSERT … SELECT … ON CONFLICT (workspace_id, deal_key) DO UPDATE`: a row is 7 values to bind (the rest is
    joined from the import's profiles and days), and the insert into the indexed table runs inside the database
    in one statement, not once per row. Later rows of the same deal id win, as they would one by one."""

    def __init__(self, connection: Any, workspace_id: int, now: datetime) -> None:
        self._connection = connection
        self._dialect = connection.dialect.name
        self._workspace_id = int(workspace_id)
        self._now = now
        self._pending: list[tuple[Any, ...]] = []
        self._seq = 0
        keep = "" if self._dialect == "sqlite" else " ON COMMIT DROP"
        schema = "temp" if self._dialect == "sqlite" else "pg_temp"
        integer = "INTEGER" if self._dialect == "sqlite" else "BIGINT"
        for name, spec in (
            ("deal_import_rows", f"seq {integer} PRIMARY KEY, k TEXT, a TEXT, b TEXT, c {integer}, d INTEGER, "
             "e INTEGER, f INTEGER"),
            ("deal_import_profiles", "id INTEGER PRIMARY KEY, stage TEXT, lost_stage TEXT, outcome TEXT, "
             "lost_reason TEXT, persona_id INTEGER, persona_label TEXT"),
            ("deal_import_days", "id INTEGER PRIMARY KEY, iso DATE, quarter TEXT"),
        ):  # fmt: skip
            connection.exec_driver_sql(f"DROP TABLE IF EXISTS {schema}.{name}")
            connection.exec_driver_sql(f"CREATE TEMP TABLE {name} ({spec}){keep}")

    def add(self, rows: Sequence[tuple[Any, ...]], keys: Sequence[str] | None) -> None:
        """(deal id, name, cents, created ordinal, closed ordinal, profile) rows; `keys` when an id isn't ASCII."""
        start = self._seq
        self._seq += len(rows)
        seq = range(start, self._seq)
        if self._dialect == "sqlite":  # the rowid is the order
            if keys is None:
                sql = "INSERT INTO temp.deal_import_rows (a, b, c, d, e, f) VALUES (?, ?, ?, ?, ?, ?)"
                self._connection.exec_driver_sql(sql, rows)
            else:
                sql = "INSERT INTO temp.deal_import_rows (k, a, b, c, d, e, f) VALUES (?, ?, ?, ?, ?, ?, ?)"
                self._connection.exec_driver_sql(sql, [(k, *row) for k, row in zip(keys, rows, strict=True)])
            return
        given = keys if keys is not None else [None] * len(rows)
        self._pending.extend((s, k, *row) for s, k, row in zip(seq, given, rows, strict=True))
        if len(self._pending) >= COPY_ROWS:
            self._copy()

    def _copy(self) -> None:
        cursor = self._connection.connection.dbapi_connection.cursor()
        with cursor.copy(f"COPY pg_temp.deal_import_rows (seq, {_STAGE_COLUMNS}) FROM STDIN") as copy:
            for row in self._pending:
                copy.write_row(row)
        self._pending = []

    def finish(self, profiles: Sequence[_Profile], days: Iterable[int]) -> int:
        """Write the staged rows to `deals`; the number of distinct deals written."""
        if self._pending:
            self._copy()
        mark = "?" if self._dialect == "sqlite" else "%s"
        self._connection.exec_driver_sql(
            f"INSERT INTO deal_import_profiles VALUES ({', '.join([mark] * 7)})",
            [
                (pid, p.stage, p.lost_stage, p.outcome, p.lost_reason, p.persona_id, p.persona_label)
                for pid, p in enumerate(profiles)
            ]
            or [(-1, "", "", "", "", None, "")],
        )
        as_day = (lambda d: d.isoformat()) if self._dialect == "sqlite" else (lambda d: d)
        day_rows = []
        for ordinal in days:
            day = date.fromordinal(ordinal)
            day_rows.append((ordinal, as_day(day), quarter_of(day).label))
        self._connection.exec_driver_sql(
            f"INSERT INTO deal_import_days VALUES ({mark}, {mark}, {mark})", day_rows or [(-1, None, "")]
        )
        stamp = f"'{_sqlite_datetime(self._now)}'" if self._dialect == "sqlite" else mark
        derived = {
            "workspace_id": str(self._workspace_id),
            "deal_key": "coalesce(r.k, lower(r.a))",
            "deal_id": "r.a",
            "name": f"substr(r.b, 1, {TEXT_MAX['name']})",
            "stage": "p.stage",
            "lost_stage": "p.lost_stage",
            "outcome": "p.outcome",
            "amount_cents": "r.c",
            "created_on": "c.iso",
            "closed_on": "d.iso",
            "created_quarter": "c.quarter",
            "closed_quarter": "d.quarter",
            "cycle_days": "d.id - c.id",
            "lost_reason": "p.lost_reason",
            "persona_id": "p.persona_id",
            "persona_label": "p.persona_label",
            "updated_at": stamp,
        }
        select_list = ", ".join(derived[c] for c in _DEAL_COLUMNS)
        prefix = "temp." if self._dialect == "sqlite" else "pg_temp."
        source = (
            f"FROM {prefix}deal_import_rows AS r CROSS JOIN {prefix}deal_import_profiles AS p "
            f"LEFT JOIN {prefix}deal_import_days AS c ON c.id = r.d "
            f"LEFT JOIN {prefix}deal_import_days AS d ON d.id = CASE WHEN p.outcome = 'open' THEN NULL ELSE r.e END "
            "WHERE p.id = r.f"
        )
        if self._dialect == "sqlite":
            rows = f"SELECT {select_list} {source} ORDER BY r.seq"
        else:  # one statement may not update a row twice on PostgreSQL: the last row of each deal id
            rows = (
                f"SELECT DISTINCT ON (coalesce(r.k, lower(r.a))) {select_list} {source} "
                "ORDER BY coalesce(r.k, lower(r.a)), r.seq DESC"
            )
        upsert = _deal_upsert_sql(self._dialect, "qmark").split(" ON CONFLICT ", 1)[1]
        sql = f"INSERT INTO deals ({', '.join(_DEAL_COLUMNS)}) {rows} ON CONFLICT {upsert}"
        if self._dialect == "sqlite":
            self._connection.exec_driver_sql(sql)
        else:
            self._connection.exec_driver_sql(sql, (self._now,))
        written = self._connection.exec_driver_sql(
            f"SELECT count(DISTINCT coalesce(k, lower(a))) FROM {prefix}deal_import_rows"
        ).scalar_one()
        for name in ("deal_import_rows", "deal_import_profiles", "deal_import_days"):
            self._connection.exec_driver_sql(f"DROP TABLE {prefix}{name}")
        return int(written)


COPY_ROWS = 5_000  # PostgreSQL: rows per COPY into the staging table


def _fate(outcome_text: str, closed_text: str, stage: str, lost_stage_text: str) -> tuple[str, str]:
    """(outcome, the stage a lost deal dropped off at) from the row's own words."""
    outcome = decide_outcome(outcome_text, closed_text, stage)
    if outcome != LOST:
        return outcome, ""
    lost_stage = lost_stage_text.strip() or ("" if _closing_stage(stage) else stage)
    return outcome, lost_stage[: TEXT_MAX["lost_stage"]] or NO_STAGE


def import_campaigns(
    session: Session,
    workspace_id: int,
    rows: Iterable[Sequence[str]],
    columns: Columns,
    *,
    skip_bad: bool = False,
    first_line: int = 2,
) -> ImportReport:
    """Store campaign rows; rows of one campaign, persona and quarter are added up (a file of daily rows)."""
    report = ImportReport("campaigns", columns.preset)
    matcher = PersonaMatcher(persona_refs(session, workspace_id))
    unmatched = _Unmatched()
    totals: dict[tuple[str, int, str], list[Any]] = {}
    get = columns.get
    for line, row in enumerate(rows, first_line):
        if not row or (len(row) == 1 and not row[0].strip()):
            continue
        report.rows += 1
        campaign = get(row, "campaign")
        problem: RowProblem | None = None
        field_name = "campaign"
        try:
            if not campaign:
                raise _BadValue("is missing")
            if len(campaign) > CAMPAIGN_MAX:
                raise _BadValue(f"is longer than {CAMPAIGN_MAX} characters")
            field_name = "period"
            period = parse_period_cell(get(row, "period"))
            counts = []
            for name in ("sent", "opened", "clicked", "converted"):
                field_name = name
                counts.append(parse_count(get(row, name)))
        except _BadValue as bad:
            problem = RowProblem(line, field_name, get(row, field_name), str(bad))
        if problem is None and not (counts[0] >= counts[1] and counts[0] >= counts[2] and counts[0] >= counts[3]):
            problem = RowProblem(line, "sent", get(row, "sent"), "is smaller than opened, clicked or converted")
        if problem is not None:
            report.problem_count += 1
            if len(report.problems) < MAX_PROBLEMS_KEPT:
                report.problems.append(problem)
            if skip_bad:
                report.skipped_bad += 1
            continue
        label = get(row, "persona")
        if not label:
            report.without_persona += 1
            continue
        match = matcher.match(label)
        if match.persona_id is None:
            unmatched.add(label, line, match.suggestions)
            continue
        key = (campaign.casefold(), match.persona_id, period)
        entry = totals.get(key)
        if entry is None:
            totals[key] = [campaign, *counts]
        else:
            for i, value in enumerate(counts, 1):
                entry[i] += value
    report.unmatched = unmatched.listed()
    report.unmatched_rows = unmatched.rows
    if report.problem_count and not skip_bad:
        raise RowsRejected(report)
    if totals:
        before = _count(
            session,
            select(func.count()).select_from(CampaignResult).where(CampaignResult.workspace_id == workspace_id),
        )
        stmt = _upsert(
            session,
            CampaignResult.__table__,
            ("workspace_id", "campaign_key", "persona_id", "period"),
            ("campaign", "sent", "opened", "clicked", "converted", "updated_at"),
        )
        now = utcnow()
        values = [
            {
                "workspace_id": workspace_id,
                "campaign_key": key[0],
                "campaign": entry[0],
                "persona_id": key[1],
                "period": key[2],
                "sent": entry[1],
                "opened": entry[2],
                "clicked": entry[3],
                "converted": entry[4],
                "updated_at": now,
            }
            for key, entry in totals.items()
        ]
        for start in range(0, len(values), BATCH_SIZE):
            session.execute(stmt, values[start : start + BATCH_SIZE])
        after = _count(
            session,
            select(func.count()).select_from(CampaignResult).where(CampaignResult.workspace_id == workspace_id),
        )
        report.written = len(values)
        report.new = after - before
        report.updated = report.written - report.new
        _mark_changed(session, workspace_id)
    report.committed = True
    return report


def _count(session: Session, query: Select[Any]) -> int:
    return int(session.scalar(query) or 0)


# --- figures ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StageShare:
    stage: str
    lost: int
    share: float


@dataclass(frozen=True)
class DealFigures:
    """One persona's deals in one period (quarter or run of quarters)."""

    created: int = 0
    won: int = 0
    lost: int = 0
    median_cycle_days: float | None = None
    median_amount_cents: float | None = None
    lost_reasons: tuple[tuple[str, int], ...] = ()
    drop_off: tuple[StageShare, ...] = ()
    won_share: float | None = None  # this persona's share of every won deal in the workspace in the period

    @property
    def closed(self) -> int:
        return self.won + self.lost

    @property
    def win_rate(self) -> float | None:
        return self.won / self.closed if self.closed else None

    @property
    def median_amount(self) -> float | None:
        return self.median_amount_cents / 100 if self.median_amount_cents is not None else None

    @property
    def worst_stage(self) -> StageShare | None:
        """Where most lost deals dropped off (None without lost deals at a recorded stage)."""
        recorded = [s for s in self.drop_off if s.stage != NO_STAGE]
        return recorded[0] if recorded else None


@dataclass(frozen=True)
class CampaignFigures:
    sent: int = 0
    opened: int = 0
    clicked: int = 0
    converted: int = 0

    def _rate(self, value: int) -> float | None:
        return value / self.sent if self.sent else None

    @property
    def open_rate(self) -> float | None:
        return self._rate(self.opened)

    @property
    def engagement(self) -> float | None:
        """Clicks per message sent."""
        return self._rate(self.clicked)

    @property
    def conversion(self) -> float | None:
        return self._rate(self.converted)


@dataclass(frozen=True)
class FitOnDeals:
    """The fit reps gave in feedback that names a deal (evidence reference), split by the deal's outcome."""

    won_fit_sum: int = 0
    won_ratings: int = 0
    lost_fit_sum: int = 0
    lost_ratings: int = 0

    @property
    def won_mean(self) -> float | None:
        return self.won_fit_sum / self.won_ratings if self.won_ratings else None

    @property
    def lost_mean(self) -> float | None:
        return self.lost_fit_sum / self.lost_ratings if self.lost_ratings else None


@dataclass(frozen=True)
class LinkedFeedback:
    """One feedback record joined to an imported deal through its reference."""

    feedback_id: int
    persona_id: int
    author_id: str
    fit: int | None
    deal_id: str
    outcome: str
    closed_quarter: str | None


@dataclass(frozen=True)
class PersonaOutcomes:
    persona_id: int
    key: str
    name: str
    owner: str | None
    deals: DealFigures
    previous: DealFigures
    campaigns: CampaignFigures
    previous_campaigns: CampaignFigures
    fit_on_deals: FitOnDeals

    @property
    def win_rate_change(self) -> float | None:
        now, before = self.deals.win_rate, self.previous.win_rate
        return now - before if now is not None and before is not None else None

    @property
    def has_data(self) -> bool:
        return bool(self.deals.created or self.deals.closed or self.campaigns.sent)


@dataclass(frozen=True)
class OutcomesData:
    """Every outcome figure for one period: per persona, the workspace totals, and win rate per quarter."""

    workspace_id: int
    period: Period
    previous_period: Period
    personas: list[PersonaOutcomes]
    totals: DealFigures
    previous_totals: DealFigures
    unassigned: DealFigures  # deals whose persona the export didn't name or we couldn't match
    trend_quarters: list[str]
    trend: dict[int, dict[str, tuple[int, int]]]  # persona id -> quarter -> (won, closed)
    linked: list[LinkedFeedback]
    deal_count: int  # deals on record for the workspace (any period)
    campaign_count: int

    @property
    def empty(self) -> bool:
        return self.deal_count == 0 and self.campaign_count == 0

    def for_persona(self, persona_id: int) -> PersonaOutcomes | None:
        return next((p for p in self.personas if p.persona_id == persona_id), None)

    def win_rate(self, persona_id: int, quarter: str) -> float | None:
        won, closed = self.trend.get(persona_id, {}).get(quarter, (0, 0))
        return won / closed if closed else None


_NO_PERSONA = -1  # the group key for deals without a matched persona


def _persona_key(column: Any) -> ColumnElement[Any]:
    return func.coalesce(column, _NO_PERSONA)


def _median(session: Session, where: Sequence[ColumnElement[bool]], value: Any) -> dict[int, float]:
    """persona -> median of `value` over the deals matching `where`, computed in SQL (both dialects).

    ROW_NUMBER and COUNT over each persona's ordered values pick the middle one (or two, averaged): the database
    sorts, and only one row per persona comes back.
    """
    group = _persona_key(Deal.persona_id)
    ranked = (
        select(
            group.label("pid"),
            value.label("v"),
            func.row_number().over(partition_by=group, order_by=value).label("rn"),
            func.count().over(partition_by=group).label("cnt"),
        )
        .where(*where, value.is_not(None))
        .subquery()
    )
    query = (
        select(ranked.c.pid, func.avg(ranked.c.v))
        .where(ranked.c.rn.in_([(ranked.c.cnt + 1) // 2, (ranked.c.cnt + 2) // 2]))
        .group_by(ranked.c.pid)
    )
    return {int(pid): float(median) for pid, median in session.execute(query)}


def _closed_outcomes(session: Session, closed_in: ColumnElement[bool]) -> dict[int, Counter[str]]:
    """persona id (or _NO_PERSONA) -> how many of its deals matching `closed_in` ended in each outcome."""
    group = _persona_key(Deal.persona_id)
    outcomes: dict[int, Counter[str]] = defaultdict(Counter)
    for pid, outcome, count in session.execute(
        select(group, Deal.outcome, func.count()).where(closed_in).group_by(group, Deal.outcome)
    ):
        outcomes[int(pid)][outcome] += int(count)
    return outcomes


def _deal_figures(session: Session, workspace_id: int, labels: Sequence[str]) -> dict[int, DealFigures]:
    """persona id (or _NO_PERSONA) -> its DealFigures for the quarters `labels`."""
    scope = Deal.workspace_id == workspace_id
    group = _persona_key(Deal.persona_id)
    created: dict[int, int] = {
        int(pid): int(count)
        for pid, count in session.execute(
            select(group, func.count()).where(scope, Deal.created_quarter.in_(labels)).group_by(group)
        )
    }
    closed_in = and_(scope, Deal.closed_quarter.in_(labels))
    outcomes = _closed_outcomes(session, closed_in)
    won_in = [closed_in, Deal.outcome == WON]
    cycles = _median(session, won_in, Deal.cycle_days)
    amounts = _median(session, won_in, Deal.amount_cents)
    reasons: dict[int, list[tuple[str, int]]] = defaultdict(list)
    stages: dict[int, list[tuple[str, int]]] = defaultdict(list)
    for target, column in ((reasons, Deal.lost_reason), (stages, Deal.lost_stage)):
        for pid, text, count in session.execute(
            select(group, column, func.count())
            .where(closed_in, Deal.outcome == LOST)
            .group_by(group, column)
            .order_by(func.count().desc(), column)
        ):
            target[int(pid)].append((str(text or ""), int(count)))
    total_won = sum(c[WON] for c in outcomes.values())
    result: dict[int, DealFigures] = {}
    for pid in set(created) | set(outcomes):
        counts = outcomes.get(int(pid), Counter())
        lost = counts[LOST]
        named = [(text or NO_REASON, n) for text, n in reasons.get(int(pid), [])]
        named.sort(key=lambda item: (item[0] == NO_REASON, -item[1], item[0]))
        result[int(pid)] = DealFigures(
            created=int(created.get(pid, 0)),
            won=counts[WON],
            lost=lost,
            median_cycle_days=cycles.get(int(pid)),
            median_amount_cents=amounts.get(int(pid)),
            lost_reasons=tuple(named[:3]),
            drop_off=tuple(StageShare(text or NO_STAGE, n, n / lost) for text, n in stages.get(int(pid), []) if lost),
            won_share=(counts[WON] / total_won) if total_won else None,
        )
    return result


def _total(figures: Mapping[int, DealFigures]) -> DealFigures:
    won = sum(f.won for f in figures.values())
    return DealFigures(
        created=sum(f.created for f in figures.values()),
        won=won,
        lost=sum(f.lost for f in figures.values()),
        won_share=1.0 if won else None,
    )


def _campaign_figures(session: Session, workspace_id: int, labels: Sequence[str]) -> dict[int, CampaignFigures]:
    query = (
        select(
            CampaignResult.persona_id,
            func.sum(CampaignResult.sent),
            func.sum(CampaignResult.opened),
            func.sum(CampaignResult.clicked),
            func.sum(CampaignResult.converted),
        )
        .where(CampaignResult.workspace_id == workspace_id, CampaignResult.period.in_(labels))
        .group_by(CampaignResult.persona_id)
    )
    return {
        int(pid): CampaignFigures(int(s or 0), int(o or 0), int(c or 0), int(v or 0))
        for pid, s, o, c, v in session.execute(query)
    }


def reference_tokens(text: str) -> set[str]:
    """The deal ids a free-text reference may name: `OPP-1234`, `006Ax…`, the last part of a CRM link."""
    cleaned = text.strip()
    if not cleaned:
        return set()
    found = {cleaned.casefold()} if len(cleaned) <= 128 else set()
    for token in _REF_TOKEN.findall(cleaned):
        if any(ch.isdigit() for ch in token):
            found.add(token.casefold())
    return found


def linked_feedback(
    session: Session, workspace_id: int, labels: Sequence[str] | None = None, page: int = 2000
) -> list[LinkedFeedback]:
    """Feedback whose reference names an imported deal (closed in `labels`, when given), read in pages by id."""
    linked: list[LinkedFeedback] = []
    after = 0
    while True:
        rows = list(
            session.execute(
                select(Feedback.id, Feedback.persona_id, Feedback.author_id, Feedback.fit, Feedback.evidence_ref)
                .where(Feedback.workspace_id == workspace_id, Feedback.evidence_ref != "", Feedback.id > after)
                .order_by(Feedback.id)
                .limit(page)
            )
        )
        if not rows:
            return linked
        after = rows[-1][0]
        tokens: dict[int, set[str]] = {row[0]: reference_tokens(row[4]) for row in rows}
        wanted = set().union(*tokens.values())
        if not wanted:
            continue
        query = select(Deal.deal_key, Deal.deal_id, Deal.outcome, Deal.closed_quarter).where(
            Deal.workspace_id == workspace_id, Deal.deal_key.in_(sorted(wanted))
        )
        if labels is not None:
            query = query.where(Deal.closed_quarter.in_(list(labels)))
        deals = {key: (deal_id, outcome, quarter) for key, deal_id, outcome, quarter in session.execute(query)}
        for fid, persona_id, author_id, fit, _ref in rows:
            for token in sorted(tokens[fid]):
                if token in deals:
                    deal_id, outcome, quarter = deals[token]
                    linked.append(LinkedFeedback(fid, persona_id, author_id, fit, deal_id, outcome, quarter))
                    break


def outcome_quarters(session: Session, workspace_id: int) -> list[Quarter]:
    """Every quarter from the first to the last with a deal created or closed, or a campaign result."""
    labels: set[str] = set()
    for column in (Deal.created_quarter, Deal.closed_quarter):
        labels.update(
            q for q in session.scalars(select(column).distinct().where(Deal.workspace_id == workspace_id)) if q
        )
    labels.update(
        session.scalars(select(CampaignResult.period).distinct().where(CampaignResult.workspace_id == workspace_id))
    )
    quarters = sorted(parse_quarter(label) for label in labels)
    return quarters_between(quarters[0], quarters[-1]) if quarters else []


def _win_trend(session: Session, workspace_id: int, labels: Sequence[str]) -> dict[int, dict[str, tuple[int, int]]]:
    trend: dict[int, dict[str, tuple[int, int]]] = defaultdict(dict)
    if not labels:
        return trend
    query = (
        select(Deal.persona_id, Deal.closed_quarter, func.count(), func.sum(case((Deal.outcome == WON, 1), else_=0)))
        .where(
            Deal.workspace_id == workspace_id,
            Deal.persona_id.is_not(None),
            Deal.closed_quarter.in_(labels),
            Deal.outcome.in_((WON, LOST)),
        )
        .group_by(Deal.persona_id, Deal.closed_quarter)
    )
    for pid, quarter, closed, won in session.execute(query):
        trend[int(pid)][str(quarter)] = (int(won), int(closed))
    return trend


def load_outcomes(session: Session, workspace_id: int, period: Period) -> OutcomesData:
    """Every outcome figure for `period` and the one before it: a handful of GROUP BY and window queries."""
    previous = period.previous()
    current = _deal_figures(session, workspace_id, period.labels)
    before = _deal_figures(session, workspace_id, previous.labels)
    campaigns = _campaign_figures(session, workspace_id, period.labels)
    campaigns_before = _campaign_figures(session, workspace_id, previous.labels)
    linked = linked_feedback(session, workspace_id, period.labels)
    fits: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for link in linked:
        if link.fit is None or link.outcome == OPEN:
            continue
        slot = fits[link.persona_id]
        offset = 0 if link.outcome == WON else 2
        slot[offset] += link.fit
        slot[offset + 1] += 1
    personas = session.execute(
        select(Persona.id, Persona.key, Persona.name, Persona.owner)
        .where(Persona.workspace_id == workspace_id)
        .order_by(Persona.name)
    )
    rows = [
        PersonaOutcomes(
            persona_id=int(pid),
            key=key,
            name=name,
            owner=owner,
            deals=current.get(int(pid), DealFigures()),
            previous=before.get(int(pid), DealFigures()),
            campaigns=campaigns.get(int(pid), CampaignFigures()),
            previous_campaigns=campaigns_before.get(int(pid), CampaignFigures()),
            fit_on_deals=FitOnDeals(*fits[int(pid)]) if int(pid) in fits else FitOnDeals(),
        )
        for pid, key, name, owner in personas
    ]
    record = outcome_quarters(session, workspace_id)
    trend_labels = [q.label for q in record]
    deal_count = _count(session, select(func.count()).select_from(Deal).where(Deal.workspace_id == workspace_id))
    campaign_count = _count(
        session, select(func.count()).select_from(CampaignResult).where(CampaignResult.workspace_id == workspace_id)
    )
    return OutcomesData(
        workspace_id=workspace_id,
        period=period,
        previous_period=previous,
        personas=rows,
        totals=_total(current),
        previous_totals=_total(before),
        unassigned=current.get(_NO_PERSONA, DealFigures()),
        trend_quarters=trend_labels,
        trend=_win_trend(session, workspace_id, trend_labels),
        linked=linked,
        deal_count=deal_count,
        campaign_count=campaign_count,
    )


def closed_deals(session: Session, workspace_id: int, labels: Sequence[str]) -> dict[int, DealFigures]:
    """persona id -> its won and lost deals closed in `labels` (nothing else filled in): the card's one line, in
    one grouped query over the whole workspace."""
    closed_in = and_(Deal.workspace_id == workspace_id, Deal.closed_quarter.in_(labels))
    return {
        pid: DealFigures(won=counts[WON], lost=counts[LOST])
        for pid, counts in _closed_outcomes(session, closed_in).items()
        if pid != _NO_PERSONA
    }


def latest_outcome_period(session: Session, workspace_id: int) -> Period | None:
    """The latest quarter in which a deal closed or a campaign ran (None without outcome data)."""
    closed = [
        parse_quarter(q)
        for q in session.scalars(select(Deal.closed_quarter).distinct().where(Deal.workspace_id == workspace_id))
        if q
    ]
    ran = [
        parse_quarter(q)
        for q in session.scalars(
            select(CampaignResult.period).distinct().where(CampaignResult.workspace_id == workspace_id)
        )
    ]
    found = closed + ran
    return Period.single(max(found)) if found else None


__all__ = [
    "CAMPAIGN_FIELDS",
    "DEAL_FIELDS",
    "KINDS",
    "PRESETS",
    "CampaignFigures",
    "Columns",
    "DealFigures",
    "FitOnDeals",
    "ImportReport",
    "Kind",
    "LinkedFeedback",
    "OutcomesData",
    "PersonaMatcher",
    "PersonaOutcomes",
    "RowProblem",
    "RowsRejected",
    "StageShare",
    "Unmatched",
    "closed_deals",
    "detect_preset",
    "guess_kind",
    "import_campaigns",
    "import_deals",
    "latest_outcome_period",
    "linked_feedback",
    "load_outcomes",
    "open_csv",
    "outcome_quarters",
    "parse_amount",
    "parse_date",
    "read_map_file",
    "reference_tokens",
    "resolve_columns",
]
