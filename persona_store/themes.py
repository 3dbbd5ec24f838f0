"""Themes in free text: "what's missing" and "objections heard" grouped by shared wording.

Pure and deterministic: rapidfuzz's token-set similarity on normalised words (lower case, no punctuation, no
filler words, plurals folded), no network and no model. The input is one text per person (the query helper
below reads each person's latest text), so a theme's count is a count of people.

A text with several points ("Pricing for small teams; no SSO") is split at line breaks, semicolons and
bullets, so one person can be in two themes but is counted once in each.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from rapidfuzz import fuzz
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from persona_store.evidence import in_period  # the period rule (round label, else the date) lives there
from persona_store.models import FEEDBACK_ROLES, CheckinRound, Feedback
from persona_store.quarters import Period

TextKind = Literal["missing", "objection"]
TEXT_KINDS: tuple[TextKind, ...] = ("missing", "objection")

# Two points belong to one theme when their content words overlap this much (rapidfuzz token_set_ratio, 0–100).
SIMILARITY = 55.0
MAX_LABEL_WORDS = 4
LINKAGE_SAMPLE = 8
MAX_LABEL_CHARS = 60
MAX_QUOTE_CHARS = 280

_ROLE_ORDER = {role: i for i, role in enumerate(FEEDBACK_ROLES)}
_SPLIT = re.compile(r"[\n;•]+|\s+-\s+")
_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)?")
# Words that carry no theme of their own: without them "they need SSO" and "SSO is needed" share their wording.
_FILLER_WORDS = """
    a about above after again against all also am an and any are aren't as at be because been before being
    below between both but by can can't cannot could couldn't did didn't do does doesn't doing don't down during
    each etc even ever every few for from further get gets getting got had hadn't has hasn't have haven't having
    he her here hers him his how i i'm if in into is isn't it it's its just lot lots me more most much must my
    need needs needed no nor not now of off on once only or other our ours out over own per persona quite
    rather really same she should shouldn't so some such than that that's the their theirs them then there
    these they they're this those through to too under until up us very was wasn't we we're were weren't what
    what's when where which while who whom why will with won't would wouldn't yet you your yours customer
    customers client clients people say says said want wants wanted like often always usually still many
    missing miss lack lacks lacking support supports supported ask asks asked thing things first one ones
    think thinks thought know knows well better good great bit kind sort wish wished
"""
_FILLER = frozenset(_FILLER_WORDS.split())


@dataclass(frozen=True)
class ThemeText:
    """One person's text: who (a stable id), their role code, and what they wrote."""

    person: str
    role: str
    text: str


@dataclass(frozen=True)
class Theme:
    label: str  # the words its texts share, e.g. "pricing small teams"
    people: int  # distinct people, never records
    roles: tuple[str, ...]  # role codes it came from, in the roster's order (sales, success, onboarding, …)
    quote: str  # the most typical text, as written (trimmed to MAX_QUOTE_CHARS)


_ENDINGS = ("ies", "ing", "ed", "es", "s", "e")


def _stem(word: str) -> str:
    """Fold the commonest English endings so "price" / "prices" / "pricing" and "integration(s)" meet."""
    if word.endswith("ss"):
        return word
    for ending in _ENDINGS:
        if word.endswith(ending) and len(word) - len(ending) >= 3:
            return word[: -len(ending)]
    return word


def _words(text: str) -> list[tuple[str, str]]:
    """(stem, the word as written) for each content word, in the order written, first of each stem only."""
    found: dict[str, str] = {}
    for match in _WORD.finditer(text.replace("’", "'")):
        written = match.group(0)
        word = written.casefold()
        if word in _FILLER or len(word) < 2 or word.isdigit():
            continue
        found.setdefault(_stem(word), written)
    return list(found.items())


def content_words(text: str) -> list[str]:
    """The words that can make a theme, normalised, in the order written (repeats dropped)."""
    return [stem for stem, _ in _words(text)]


def split_points(text: str) -> list[str]:
    """A text's separate points, each stripped; points with no content word are dropped."""
    return [p.strip(" \t.,-") for p in _SPLIT.split(text) if content_words(p)]


@dataclass
class _Point:
    person: str
    role: str
    text: str
    words: tuple[str, ...]
    written: dict[str, str]  # stem -> the word as written, for labels
    key: str  # the words joined: what rapidfuzz compares
    stems: frozenset[str] = field(init=False)

    def __post_init__(self) -> None:
        self.stems = frozenset(self.words)


def similarity(a: _Point, b: _Point) -> float:
    """rapidfuzz's token-set ratio (0–100), once the two share at least two words or all of the shorter's words.

    The gate keeps one common word from making a theme: "pricing for teams" and "SSO for teams" share "teams",
    which token-set similarity alone scores high because one small set sits inside the other.
    """
    shared = len(a.stems & b.stems)
    if shared < 2 and shared < min(len(a.stems), len(b.stems)):
        return 0.0
    return float(fuzz.token_set_ratio(a.key, b.key))


@dataclass
class _Group:
    members: list[_Point]

    def score(self, point: _Point) -> float:
        """Average linkage: a point joins the group it resembles on average, so one loose member can't chain.

        Against the group's first LINKAGE_SAMPLE members only (the fixed order makes them the same every run):
        a theme is set by its first few texts, and the cost stays linear in the number of people.
        """
        sample = self.members[:LINKAGE_SAMPLE]
        return sum(similarity(point, m) for m in sample) / len(sample)


def _points(texts: Iterable[ThemeText]) -> list[_Point]:
    points: list[_Point] = []
    seen: set[tuple[str, str]] = set()
    for t in texts:
        for part in split_points(t.text):
            pairs = _words(part)
            words = tuple(stem for stem, _ in pairs)
            key = " ".join(words)
            if (t.person, key) in seen:
                continue
            seen.add((t.person, key))
            points.append(_Point(t.person, t.role, part, words, dict(pairs), key))
    # A fixed order (not the caller's) makes the grouping reproducible whatever order rows come back in.
    points.sort(key=lambda p: (-len(p.words), p.key, p.person, p.text))
    return points


def _label(group: _Group, quote: _Point) -> str:
    if len(group.members) == 1:
        label = _trim(quote.text, MAX_LABEL_CHARS)
        return label[:1].upper() + label[1:]
    counts: Counter[str] = Counter(w for m in group.members for w in set(m.words))
    need = max(2, (len(group.members) + 1) // 2)
    shared = [w for w in quote.words if counts[w] >= need]
    if not shared:
        best = max(counts.values())
        shared = [w for w in quote.words if counts[w] == best]
    label = " ".join(quote.written[w] for w in shared[:MAX_LABEL_WORDS])
    return label[:1].upper() + label[1:]


def _trim(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _typical(group: _Group) -> _Point:
    """The member closest to all the others; ties go to the shorter, then the first in order."""
    if len(group.members) == 1:
        return group.members[0]

    sample = group.members[: LINKAGE_SAMPLE * 2]

    def closeness(point: _Point) -> tuple[float, int]:
        total = sum(similarity(point, m) for m in sample if m is not point)
        return (-total, len(point.text))

    return min(sample, key=closeness)


def group_themes(texts: Iterable[ThemeText], *, similarity: float = SIMILARITY) -> list[Theme]:
    """Themes, most people first (then by label). Texts are one per person; empty texts are ignored."""
    groups: list[_Group] = []
    for point in _points(texts):
        best: tuple[float, int] | None = None
        for index, group in enumerate(groups):
            score = group.score(point)
            if score >= similarity and (best is None or score > best[0]):
                best = (score, index)
        if best is None:
            groups.append(_Group([point]))
        else:
            groups[best[1]].members.append(point)
    themes: list[Theme] = []
    for group in groups:
        quote = _typical(group)
        roles = sorted({m.role for m in group.members}, key=lambda r: (_ROLE_ORDER.get(r, len(_ROLE_ORDER)), r))
        themes.append(
            Theme(
                label=_label(group, quote),
                people=len({m.person for m in group.members}),
                roles=tuple(roles),
                quote=_trim(quote.text, MAX_QUOTE_CHARS),
            )
        )
    themes.sort(key=lambda t: (-t.people, t.label, t.quote))
    return themes


# --- reading the texts --------------------------------------------------------------------------------------------

_COLUMNS = {"missing": Feedback.missing_text, "objection": Feedback.objections_text}


def latest_texts(
    session: Session, workspace_id: int, period: Period, kind: TextKind, persona_id: int | None = None
) -> dict[int, list[ThemeText]]:
    """persona id -> each person's latest non-empty text of `kind` in the period (one per person per persona)."""
    column = _COLUMNS[kind]
    query = (
        select(Feedback.persona_id, Feedback.author_id, Feedback.author_role, column)
        .select_from(Feedback)
        .outerjoin(CheckinRound, Feedback.round_id == CheckinRound.id)
        .where(Feedback.workspace_id == workspace_id, in_period(period), column != "", column.is_not(None))
    )
    if persona_id is not None:
        query = query.where(Feedback.persona_id == persona_id)
    return _latest_per_person(session, query)


def latest_texts_between(
    session: Session, workspace_id: int, persona_id: int, kind: TextKind, since: datetime, until: datetime
) -> list[ThemeText]:
    """Each person's latest non-empty text of `kind` about one persona given in [since, until] (the review window)."""
    column = _COLUMNS[kind]
    query = select(Feedback.persona_id, Feedback.author_id, Feedback.author_role, column).where(
        Feedback.workspace_id == workspace_id,
        Feedback.persona_id == persona_id,
        Feedback.created_at >= since,
        Feedback.created_at <= until,
        column != "",
    )
    return _latest_per_person(session, query).get(persona_id, [])


def _latest_per_person(session: Session, query: Select) -> dict[int, list[ThemeText]]:
    """Runs a (persona_id, author_id, author_role, text) query; keeps each person's latest text per persona."""
    query = query.order_by(Feedback.persona_id, Feedback.author_id, Feedback.created_at.desc(), Feedback.id.desc())
    found: dict[int, list[ThemeText]] = {}
    last: tuple[int, str] | None = None
    for pid, author, role, text in session.execute(query):
        if not (text or "").strip() or (pid, author) == last:
            continue  # blank, or an older text from the same person
        last = (pid, author)
        found.setdefault(pid, []).append(ThemeText(author, role, text))
    return found


@dataclass(frozen=True)
class PersonaThemes:
    persona_id: int
    kind: TextKind
    themes: Sequence[Theme]


def themes_for_period(
    session: Session, workspace_id: int, period: Period, persona_id: int | None = None
) -> list[PersonaThemes]:
    """Every persona's themes of each kind in the period (personas without text are left out)."""
    result: list[PersonaThemes] = []
    for kind in TEXT_KINDS:
        for pid, texts in sorted(latest_texts(session, workspace_id, period, kind, persona_id).items()):
            result.append(PersonaThemes(pid, kind, group_themes(texts)))
    return result


__all__ = [
    "SIMILARITY",
    "TEXT_KINDS",
    "PersonaThemes",
    "TextKind",
    "Theme",
    "ThemeText",
    "content_words",
    "group_themes",
    "latest_texts",
    "latest_texts_between",
    "split_points",
    "themes_for_period",
]
