"""Roster files (CSV with `,`, `;` or tab) and role aliases: parsing and validation, no database, no Slack.

Only the user column is required: `slack_user_id` or `email` (or both). `name`, `role`, `manager`, `observer` and
`timezone` are optional; an empty cell leaves what the roster already says. Every problem is one line naming the
CSV line and the column, and all of them are reported at once. `parse_roster_csv` reads the complete form (every
column named, every cell but the zone filled) with the same parser, `strict`.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

from persona_store.files import FileError, is_timezone, read_text_source, shorten
from persona_store.models import ROLES

ROSTER_FILE_COLUMNS = ("slack_user_id", "email", "name", "role", "manager", "observer", "timezone")
ROSTER_COLUMNS = ("slack_user_id", "name", "role", "manager", "timezone")  # the complete form: all of them
USER_COLUMNS = ("slack_user_id", "email")
ROSTER_NAME_MAX = 255
SEPARATORS = (",", ";", "\t")

# Everything people call the four roles, compared after `fold_role` (case, punctuation and spaces ignored).
ROLE_ALIASES: dict[str, str] = {
    **{role: role for role in ROLES},
    # sales
    "sale": "sales",
    "ae": "sales",
    "account executive": "sales",
    "account exec": "sales",
    "sdr": "sales",
    "bdr": "sales",
    "sales development": "sales",
    "sales development representative": "sales",
    "business development": "sales",
    "business development representative": "sales",
    "sales rep": "sales",
    "sales representative": "sales",
    "account manager": "sales",
    "am": "sales",
    "seller": "sales",
    "sales engineer": "sales",
    "se": "sales",
    # success
    "customer success": "success",
    "customer success manager": "success",
    "cs": "success",
    "csm": "success",
    "cx": "success",
    "customer experience": "success",
    "support": "success",
    "customer support": "success",
    "account management": "success",
    # onboarding
    "onboard": "onboarding",
    "implementation": "onboarding",
    "implementation manager": "onboarding",
    "implementation consultant": "onboarding",
    "onboarding manager": "onboarding",
    "onboarding specialist": "onboarding",
    "professional services": "onboarding",
    "ps": "onboarding",
    # marketing
    "mktg": "marketing",
    "product marketing": "marketing",
    "pmm": "marketing",
    "product marketing manager": "marketing",
    "growth": "marketing",
    "demand generation": "marketing",
    "demand gen": "marketing",
    "content": "marketing",
}

_TRUE = {"true", "yes", "y", "1", "x"}
_FALSE = {"false", "no", "n", "0"}
_SLACK_USER = re.compile(r"^<?@?([UW][A-Z0-9]{2,})(?:\|[^>]*)?>?$")
_EMAIL = re.compile(r"^[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;]+$")


def fold_role(text: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text.casefold()).split())


def parse_role(text: str) -> str | None:
    """One of ROLES for a role or an alias ("Customer Success", "CSM", "AE"), or None."""
    return ROLE_ALIASES.get(fold_role(text))


def role_problem(text: str, *, aliases: bool = True) -> str:
    problem = f"role '{shorten(text)}' is not one of {', '.join(ROLES)}"
    return problem + " (aliases such as Customer Success, CSM, AE, SDR or Implementation work too)" * aliases


def parse_slack_user(text: str) -> str | None:
    """A Slack user id from `U0123ABCD`, `<@U0123ABCD>` or `@U0123ABCD`; None otherwise."""
    match = _SLACK_USER.match(text.strip())
    return match.group(1) if match else None


def is_email(text: str) -> bool:
    return bool(_EMAIL.match(text.strip()))


def parse_flag(text: str) -> bool | None:
    """true/false (yes/no, 1/0, y/n, x); None for anything else."""
    lowered = text.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    return None


@dataclass(frozen=True)
class RosterRow:
    """One line of a roster file. None: the cell was empty or the column absent (keep what the roster says)."""

    line: int
    slack_user_id: str | None = None
    email: str | None = None
    name: str | None = None
    role: str | None = None
    manager: bool | None = None
    observer: bool | None = None
    timezone: str | None = None

    @property
    def who(self) -> str:
        return self.slack_user_id or self.email or f"line {self.line}"


@dataclass(frozen=True)
class RosterEntry:
    """A rep of the complete form (`parse_roster_csv`)."""

    slack_user_id: str
    name: str
    role: str
    is_manager: bool = False
    timezone: str | None = None


def parse_roster_csv(path_or_text: str | Path, *, filename: str | None = None) -> list[RosterEntry]:
    """Every rep in a roster CSV of the complete form, or FileError naming each bad line and field."""
    rows = parse_roster_file(path_or_text, filename=filename, strict=True)
    return [RosterEntry(r.slack_user_id or "", r.name or "", r.role or "", bool(r.manager), r.timezone) for r in rows]


def _separator(header_line: str, columns: tuple[str, ...]) -> str:
    """The separator that splits the header into the most known columns (Excel writes `;` in many locales)."""

    def known(sep: str) -> int:
        return sum(1 for cell in header_line.split(sep) if cell.strip().strip('"').lower() in columns)

    best = max(SEPARATORS, key=lambda sep: (known(sep), header_line.count(sep)))
    return best if header_line.count(best) or known(best) else ","


def parse_roster_file(
    path_or_text: str | Path, *, filename: str | None = None, strict: bool = False
) -> list[RosterRow]:
    """Every row of a roster CSV, or FileError listing every problem in it. `strict`: the complete form, exactly
    ROSTER_COLUMNS, every cell but the zone filled, a value for each column."""
    text, _name = read_text_source(path_or_text, filename)
    known = ROSTER_COLUMNS if strict else ROSTER_FILE_COLUMNS
    needs = "a header naming slack_user_id or email (and optionally " + ", ".join(ROSTER_FILE_COLUMNS[2:]) + ")"
    needs = "the header " + ",".join(ROSTER_COLUMNS) if strict else needs
    if not text.strip():
        raise FileError(f"the roster file is empty; it needs {needs}")
    first = next(line for line in text.splitlines() if line.strip())
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_separator(first, known), skipinitialspace=True)
    try:
        header = next(reader)
        while not any(cell.strip() for cell in header):
            header = next(reader)
    except StopIteration:
        raise FileError(f"the roster file is empty; it needs {needs}") from None
    except csv.Error as exc:
        raise FileError(f"line {reader.line_num}: {exc}") from exc
    header_line = reader.line_num
    columns = [cell.strip().lower().replace(" ", "_") for cell in header]
    problems: list[str] = []
    missing = [c for c in known if strict and c not in columns]
    if missing:
        problems.append(f"line {header_line}: the header is missing {', '.join(missing)}")
    unknown = [c for c in columns if c not in known]
    if unknown:
        problems.append(
            f"line {header_line}: unknown column {', '.join(repr(c) for c in unknown)}; "
            f"the columns are {', '.join(known)}"
        )
    repeated = sorted({c for c in columns if columns.count(c) > 1})
    if repeated:
        problems.append(f"line {header_line}: column {', '.join(repeated)} appears twice")
    if not any(c in columns for c in USER_COLUMNS):
        problems.append(f"line {header_line}: the header needs a slack_user_id or an email column")
    if problems:
        raise FileError(problems)
    position = {c: columns.index(c) for c in known if c in columns}

    rows: list[RosterRow] = []
    first_line: dict[str, int] = {}
    try:
        for cells in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in cells):
                continue
            extra = any(cell.strip() for cell in cells[len(columns) :])
            if (len(cells) != len(columns)) if strict else extra:
                problems.append(f"line {line}: expected {len(columns)} values, found {len(cells)}")
                continue
            values = {c: (cells[i].strip() if i < len(cells) else "") for c, i in position.items()}
            row, row_problems = _row(values, line, strict)
            problems.extend(row_problems)
            if row is None:
                continue
            for key in (row.slack_user_id, row.email and row.email.casefold()):
                if key and key in first_line:
                    problems.append(
                        f"line {line}: {'slack_user_id ' * strict}{key} is already on line {first_line[key]}"
                    )
                    break
            else:
                first_line.update({k: line for k in (row.slack_user_id, row.email and row.email.casefold()) if k})
                rows.append(row)
    except csv.Error as exc:
        problems.append(f"line {reader.line_num}: {exc}")
    if problems:
        raise FileError(problems)
    if not rows:
        raise FileError(f"the roster file has a header but {'no reps' if strict else 'nobody in it'}")
    return rows


def _row(cells: dict[str, str], line: int, strict: bool) -> tuple[RosterRow | None, list[str]]:
    problems: list[str] = []
    raw_user, raw_email = cells.get("slack_user_id", ""), cells.get("email", "")
    user_id = parse_slack_user(raw_user) if raw_user else None
    if raw_user and user_id is None:
        problems.append(f"line {line}: slack_user_id '{shorten(raw_user)}' is not a Slack user id like U0123ABCD")
    if raw_email and not is_email(raw_email):
        problems.append(f"line {line}: email '{shorten(raw_email)}' is not an email address")
    if not raw_user and not raw_email:
        problems.append(f"line {line}: {'slack_user_id is empty' if strict else 'give a slack_user_id or an email'}")
    name = " ".join(cells.get("name", "").split()) or None
    if strict and name is None:
        problems.append(f"line {line}: name is empty")
    if name is not None and len(name) > ROSTER_NAME_MAX:
        problems.append(f"line {line}: name is {len(name)} characters long; the limit is {ROSTER_NAME_MAX}")
    role = parse_role(cells["role"]) if cells.get("role") else None
    if role is None and (strict or cells.get("role")):
        problems.append(f"line {line}: {role_problem(cells.get('role', ''), aliases=not strict)}")
    flags: dict[str, bool | None] = {}
    for column in ("manager", "observer"):
        flags[column] = parse_flag(cells[column]) if cells.get(column) else None
        if cells.get(column) and flags[column] is None:
            problems.append(f"line {line}: {column} '{shorten(cells[column])}' must be true or false")
    timezone = cells.get("timezone") or None
    if timezone is not None and not is_timezone(timezone):
        problems.append(
            f"line {line}: timezone '{shorten(timezone)}' is not an IANA time zone like Europe/Berlin "
            + ("(or leave it empty)" if strict else "(or leave it empty: Slack's profile, else the default)")
        )
    if problems:
        return None, problems
    email = raw_email or None
    return RosterRow(line, user_id, email, name, role, flags["manager"], flags["observer"], timezone), []
