"""Persona documents as people keep them: Markdown and CSV, read into the persona file's fields (and Markdown written).

Markdown: one heading per persona (a lone title heading above them is skipped); each field is a sub-heading
(`### Pain points`) or a bold label (`**Role:** Marketing Director`, `- **Owner:** U0123ABCD`); the items of a list
field are bullets (or lines); text right under the persona heading is its summary.

CSV: a header row of field names, one row per persona; the items of a list field are separated by `;` (or line
breaks inside a quoted cell); columns by `,` or `;` (Excel's choice in many locales).

Both produce the same field mappings a YAML file does; `persona_store.files.build_persona_spec` validates them.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from persona_store.persona_spec import PersonaSpec

LIST_FIELD_NAMES = ("goals", "pain_points", "motivations", "objections", "channels", "evidence", "team_roles")
TEXT_FIELD_NAMES = ("name", "key", "role", "summary", "owner", "status")
# Field names as people write them in headings, labels and CSV headers (compared folded, see `field_name`).
ALIASES = {
    "pains": "pain_points",
    "pain": "pain_points",
    "challenges": "pain_points",
    "frustrations": "pain_points",
    "goal": "goals",
    "objectives": "goals",
    "motivation": "motivations",
    "drivers": "motivations",
    "objection": "objections",
    "concerns": "objections",
    "channel": "channels",
    "where_to_find_them": "channels",
    "sources": "evidence",
    "source": "evidence",
    "title": "role",
    "job_title": "role",
    "description": "summary",
    "about": "summary",
    "persona": "name",
    "persona_name": "name",
    "teams": "team_roles",
    "team_role": "team_roles",
    "for_teams": "team_roles",
    "maintainer": "owner",
}

_HEADING = re.compile(r"^(#{1,6})[ \t]+(.*?)[ \t]*#*[ \t]*$")
_BULLET = re.compile(r"^([ \t]*)(?:[-*+•]|\d{1,3}[.)])[ \t]+(.*)$")
# `**Role:** text`, `**Role**: text`, `__Role:__ text`
_LABEL = re.compile(r"^(?:\*\*|__)([^*_:]{1,40}?)[ \t]*(?::[ \t]*(?:\*\*|__)|(?:\*\*|__)[ \t]*:)[ \t]*(.*)$")
_FENCE = re.compile(r"^[ \t]*(```|~~~)")


def field_name(label: str) -> str:
    """The schema's name for a label as written ("Pain points", "pain-points", "PAIN_POINTS" → pain_points)."""
    folded = re.sub(r"[^a-z0-9]+", "_", label.strip().lower()).strip("_")
    return ALIASES.get(folded, folded)


def split_items(text: str, separators: str = "\n") -> list[str]:
    """The items of a list written as one string: a line each (bullet marks dropped), or `;`-separated in CSV."""
    pattern = "|".join(re.escape(sep) for sep in separators)
    items = []
    for part in re.split(pattern, text):
        bullet = _BULLET.match(part)
        item = (bullet.group(2) if bullet else part).strip()
        if item:
            items.append(item)
    return items


@dataclass
class RawPersona:
    """One persona's fields as a document gave them, with where it starts (for problems)."""

    line: int
    fields: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


# --- Markdown ---------------------------------------------------------------------------------------------------


@dataclass
class _Section:
    persona: RawPersona
    current: str | None = None  # the field the lines below belong to (None: the summary, before any field)

    def set_field(self, name: str, line: int, *, inline: str = "") -> None:
        fields = self.persona.fields
        if name in fields:
            self.persona.problems.append(f"line {line}: the field '{name}' appears twice in this persona")
        if name in LIST_FIELD_NAMES:
            fields[name] = split_items(inline, _separators(name)) if inline else []
        else:
            fields[name] = inline
        self.current = name

    def add_line(self, text: str, line: int) -> None:
        fields = self.persona.fields
        name = self.current
        bullet = _BULLET.match(text)
        if name is None:  # prose under the heading, before any field: the summary
            fields["summary"] = _join(fields.get("summary", ""), text.strip())
            return
        if name in LIST_FIELD_NAMES:
            items: list[str] = fields.setdefault(name, [])
            if bullet is None and items and text[:1] in " \t":  # an indented line continues the item above
                items[-1] = f"{items[-1]} {text.strip()}"
            else:
                items.extend(split_items(bullet.group(2) if bullet else text, _separators(name, inline=False)))
            return
        joiner = "\n" if name == "summary" else " "
        fields[name] = _join(str(fields.get(name, "")), text.strip(), joiner)


def _separators(name: str, *, inline: bool = True) -> str:
    """What splits a list written on one line: `;` (and `,` for team roles, which are single words)."""
    if name == "team_roles":
        return ",;\n"
    return ";\n" if inline else "\n"


def _join(before: str, more: str, joiner: str = " ") -> str:
    return f"{before}{joiner}{more}" if before else more


def parse_markdown(text: str) -> tuple[list[RawPersona], list[str]]:
    """Each persona's raw fields, and the problems of the document as a whole."""
    lines = text.splitlines()
    headings = [(n, len(m.group(1)), m.group(2)) for n, m in _numbered(lines, _HEADING)]
    if not headings:
        return [], ["the Markdown file has no headings; start each persona with one, like `## Marketing Director Mary`"]
    levels = [level for _, level, _ in headings]
    top = min(levels)
    persona_level = top
    if levels.count(top) == 1 and levels[0] == top and len(set(levels)) > 1:
        below = min(level for level in levels if level > top)
        known = LIST_FIELD_NAMES + TEXT_FIELD_NAMES
        if not all(field_name(_strip_marks(text)) in known for _, level, text in headings if level == below):
            persona_level = below  # a document title above the personas (unless those are one persona's fields)

    personas: list[RawPersona] = []
    problems: list[str] = []
    section: _Section | None = None
    in_fence = False
    for number, raw in enumerate(lines, start=1):
        if _FENCE.match(raw):
            in_fence = not in_fence
            continue
        if in_fence or not raw.strip() or raw.strip() in ("---", "***", "___"):
            continue
        heading = _HEADING.match(raw)
        if heading and len(heading.group(1)) < persona_level:
            section = None  # the title, or a chapter above the personas
            continue
        if heading and len(heading.group(1)) == persona_level:
            persona = RawPersona(number, {"name": heading.group(2).strip()})
            personas.append(persona)
            section = _Section(persona)
            continue
        if section is None:
            if not personas and not heading:
                continue  # an introduction above the first persona
            problems.append(f"line {number}: text outside any persona (start each persona with a heading)")
            continue
        if heading:
            section.set_field(field_name(_strip_marks(heading.group(2))), number)
            continue
        bullet = _BULLET.match(raw)
        label = _LABEL.match(bullet.group(2) if bullet else raw.strip())
        is_field = label is not None and field_name(label.group(1)) in LIST_FIELD_NAMES + TEXT_FIELD_NAMES
        # Inside a list, an unknown bold label is an item's own emphasis ("- **Q3:** up 5%"); elsewhere a field.
        if label and (is_field or section.current not in LIST_FIELD_NAMES):
            section.set_field(field_name(label.group(1)), number, inline=label.group(2).strip())
            continue
        section.add_line(raw, number)
    return personas, problems


def _strip_marks(text: str) -> str:
    return text.strip().strip("*_").rstrip(":").strip()


def _numbered(lines: Sequence[str], pattern: re.Pattern[str]) -> Iterable[tuple[int, re.Match[str]]]:
    in_fence = False
    for number, line in enumerate(lines, start=1):
        if _FENCE.match(line):
            in_fence = not in_fence
            continue
        match = None if in_fence else pattern.match(line)
        if match:
            yield number, match


_MD_LABELS = {"key": "Key", "role": "Role", "owner": "Owner", "status": "Status", "team_roles": "Team roles"}
_MD_HEADINGS = {
    "goals": "Goals",
    "pain_points": "Pain points",
    "motivations": "Motivations",
    "objections": "Objections",
    "channels": "Channels",
    "evidence": "Evidence",
}


def dump_markdown(specs: Iterable[PersonaSpec]) -> str:
    """The Markdown form of a persona file; `parse_markdown` reads it back to the same personas."""
    out = ["# Personas", ""]
    for spec in specs:
        out += [f"## {spec.name}", ""]
        for name, label in _MD_LABELS.items():
            value = getattr(spec, name)
            if name == "team_roles":
                value = ", ".join(value)
            if value:
                out.append(f"- **{label}:** {value}")
        if spec.summary:
            summary_lines = spec.summary.splitlines() or [""]
            out += ["", f"**Summary:** {summary_lines[0]}", *summary_lines[1:]]
        for name, heading in _MD_HEADINGS.items():
            items = getattr(spec, name)
            if items:
                out += ["", f"### {heading}", *[f"- {item}" for item in items]]
        out.append("")
    return "\n".join(out).rstrip("\n") + "\n"


# --- CSV --------------------------------------------------------------------------------------------------------


def parse_csv(text: str) -> tuple[list[RawPersona], list[str]]:
    """Each row's raw fields (line numbers as a spreadsheet shows them), and the problems of the header."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, skipinitialspace=True)
    try:
        header = next(reader)
        while not any(cell.strip() for cell in header):
            header = next(reader)
    except StopIteration:
        return [], ["the CSV file is empty; it needs a header row naming the fields (name, role, goals, …)"]
    except csv.Error as exc:
        return [], [f"line {reader.line_num}: {exc}"]
    header_line = reader.line_num
    columns = [field_name(cell) for cell in header]
    problems: list[str] = []
    repeated = sorted({c for c in columns if c and columns.count(c) > 1})
    if repeated:
        problems.append(f"line {header_line}: column {', '.join(repeated)} appears twice")
    if "name" not in columns:
        problems.append(f"line {header_line}: the header needs a 'name' column (found {', '.join(header)})")
    if problems:
        return [], problems

    personas: list[RawPersona] = []
    try:
        for row in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            persona = RawPersona(line)
            if len(row) > len(columns) and any(cell.strip() for cell in row[len(columns) :]):
                persona.problems.append(f"line {line}: {len(row)} values for {len(columns)} columns")
            for column, cell in zip(columns, row, strict=False):
                if not column or not cell.strip():
                    continue
                if column in LIST_FIELD_NAMES:
                    persona.fields[column] = split_items(cell, _separators(column))
                else:
                    persona.fields[column] = cell.strip()
            personas.append(persona)
    except csv.Error as exc:
        problems.append(f"line {reader.line_num}: {exc}")
    return personas, problems
