"""The `/persona <words>` matcher: typo-, prefix- and abbreviation-tolerant, over personas already loaded.

It takes a list (no database access), so a caller loads the workspace's personas once and searches in memory.
Each persona gets one score from 0 to 100, the best of:
- the whole query against the name (rapidfuzz WRatio) and against the role (slightly discounted);
- word by word: each query word against the name, key, role and summary words (typo ratio, or a prefix of at
  least three letters), averaged over the query words; role and summary words count for less than name words;
- an abbreviation of consecutive role or name words ("revops", "rev ops" -> Revenue Operations; "cfo" ->
  Chief Financial Officer; "mktg" -> Marketing).
An exact key or name wins outright. Sanity benchmark (500 generated personas with 25-word summaries, a small
2-core VM): about 4 ms per query once warm; the per-persona preparation is cached by content.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process

from persona_store.models import Persona

# Tuned on the twelve-persona fixture in tests/persona_store/test_search.py.
CONFIDENT = 85  # a top score at least this high, clear of the runner-up, is the answer
CLOSE = 70  # scores at least this high are "close matches" (a pick list when there are several)
MARGIN = 8  # how far the top score must lead the next one to be the answer on its own
SPREAD = 20  # a pick list keeps close matches within this distance of the top score
NAME_WHOLE_WEIGHT = 0.9  # the whole query against the whole name: a fallback for run-together words
ROLE_WEIGHT = 0.85
ROLE_WORD_WEIGHT = 0.9
SUMMARY_WORD_WEIGHT = 0.88
PREFIX_SCORE = 90.0  # a query word that starts a word ("fin" -> Finance), 3+ letters
WORD_CUTOFF = 50.0
ABBREVIATION_SCORE = 92.0  # pieces of consecutive words ("revops" = rev+ops)
INITIALISM_SCORE = 88.0  # first letters of consecutive role words ("cfo"); short names collide with these
WORD_ABBREVIATION_SCORE = 80.0  # letters of one word in order ("mktg")
MAX_SUGGESTIONS = 3
STOP_WORDS = frozenset({"a", "an", "and", "for", "of", "the", "to", "in", "on", "with", "persona", "&"})

_PUNCTUATION = re.compile(r"[\W_]+")
_CAMEL = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")


@dataclass(frozen=True)
class SearchResult:
    """`best`: one confident match. `candidates`: several close matches to pick from. `suggestions`: nothing
    matched; the closest personas to offer instead. At most one of the three is non-empty."""

    best: Persona | None = None
    candidates: list[Persona] = field(default_factory=list)
    suggestions: list[Persona] = field(default_factory=list)

    @property
    def found(self) -> bool:
        return self.best is not None


def normalise(text: str) -> str:
    """Lowercase ASCII-ish words separated by single spaces (accents dropped, punctuation to spaces)."""
    if not text.isascii():
        decomposed = unicodedata.normalize("NFKD", text)
        text = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(_PUNCTUATION.sub(" ", text.casefold()).split())


def _words(text: str) -> list[str]:
    """Normalised words, plus the parts of CamelCase words ("RevOps" -> revops, rev, ops)."""
    words = normalise(text).split()
    for token in text.split():
        parts = _CAMEL.findall(token)
        if len(parts) > 1:
            words.extend(normalise(part) for part in parts)
    return words


def _content(words: Sequence[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(w for w in words if w not in STOP_WORDS))


@dataclass(frozen=True)
class _Prepared:
    name: str
    role: str
    name_words: frozenset[str]  # name and key words
    role_words: frozenset[str]
    all_words: frozenset[str]  # name, key, role and summary words
    role_sequence: tuple[str, ...]  # role words in order, for abbreviations
    name_sequence: tuple[str, ...]


@functools.lru_cache(maxsize=4096)
def _prepare(name: str, key: str, role: str, summary: str) -> _Prepared:
    """Everything searching needs from one persona; cached, since the same personas are searched again and again."""
    own_name = _content(_words(name))
    own_role = _content(_words(role))
    name_words = frozenset(_content([*own_name, *key.split("-")]))
    role_words = frozenset(own_role)
    return _Prepared(
        name=normalise(name),
        role=normalise(role),
        name_words=name_words,
        role_words=role_words,
        all_words=(name_words | role_words | frozenset(_words(summary))) - STOP_WORDS,
        role_sequence=own_role,
        name_sequence=own_name,
    )


def search_personas(personas: Sequence[Persona], query: str, limit: int = 5) -> SearchResult:
    """Match `query` against `personas` (see the module docstring); empty query or list -> nothing."""
    q = normalise(query)
    if not q or not personas:
        return SearchResult()
    q_key = "-".join(q.split())
    prepared: list[_Prepared] = []
    for persona in personas:
        ready = _prepare(persona.name, persona.key, persona.role or "", persona.summary or "")
        if ready.name == q or persona.key == q_key:
            return SearchResult(best=persona)
        prepared.append(ready)

    scores = _score(prepared, q)
    ranked = sorted(range(len(personas)), key=lambda i: (-scores[i], prepared[i].name, i))
    top = scores[ranked[0]]
    runner_up = scores[ranked[1]] if len(ranked) > 1 else 0.0
    close = [i for i in ranked if scores[i] >= max(CLOSE, top - SPREAD)]

    if top >= CONFIDENT and (len(close) == 1 or top - runner_up >= MARGIN):
        return SearchResult(best=personas[ranked[0]])
    if len(close) >= 2:
        return SearchResult(candidates=[personas[i] for i in close[:limit]])
    return SearchResult(suggestions=[personas[i] for i in ranked[: min(limit, MAX_SUGGESTIONS)]])


def _score(prepared: Sequence[_Prepared], q: str) -> list[float]:
    scores = [0.0] * len(prepared)

    names = [p.name for p in prepared]
    for _choice, score, i in process.extract(q, names, scorer=fuzz.WRatio, limit=None, score_cutoff=WORD_CUTOFF):
        scores[i] = max(scores[i], score * NAME_WHOLE_WEIGHT)
    roles = [p.role for p in prepared]
    for _choice, score, i in process.extract(q, roles, scorer=fuzz.WRatio, limit=None, score_cutoff=WORD_CUTOFF):
        scores[i] = max(scores[i], score * ROLE_WEIGHT)

    vocabulary: set[str] = set()
    for p in prepared:
        vocabulary.update(p.all_words)
    words = list(vocabulary)
    q_words = _content(q.split()) or tuple(q.split())
    totals = [0.0] * len(prepared)
    for q_word in q_words:
        word_scores = {
            words[j]: score
            for _choice, score, j in process.extract(
                q_word, words, scorer=fuzz.ratio, limit=None, score_cutoff=WORD_CUTOFF
            )
        }
        if len(q_word) >= 3:
            for word in words:
                if word.startswith(q_word):
                    word_scores[word] = max(word_scores.get(word, 0.0), PREFIX_SCORE)
        matched = set(word_scores)
        for i, p in enumerate(prepared):
            hits = p.all_words & matched
            if not hits:
                continue
            best = 0.0
            for word in hits:
                score = word_scores[word]
                if word in p.name_words:
                    best = max(best, score)
                elif word in p.role_words:
                    best = max(best, score * ROLE_WORD_WEIGHT)
                elif score >= 90:  # summary words count only when (nearly) exact: summaries are full of near misses
                    best = max(best, score * SUMMARY_WORD_WEIGHT)
            totals[i] += best
    for i, total in enumerate(totals):
        scores[i] = max(scores[i], total / len(q_words))

    compact = q.replace(" ", "")
    if len(compact) >= 2:
        for i, p in enumerate(prepared):
            role_score = _abbreviation_score(compact, p.role_sequence, initialisms=True)
            name_score = _abbreviation_score(compact, p.name_sequence, initialisms=False)
            scores[i] = max(scores[i], role_score, name_score)
    return scores


@functools.lru_cache(maxsize=8192)
def _abbreviation_score(compact: str, words: tuple[str, ...], *, initialisms: bool) -> float:
    """How well `compact` abbreviates consecutive `words` (each piece starts a word, its letters in order)."""
    if not words or compact[0] not in {w[0] for w in words}:
        return 0.0
    starts = [i for i, word in enumerate(words) if word[0] == compact[0]]
    if any(_pieces(compact, words, start, single_letters=False) >= 2 for start in starts):
        return ABBREVIATION_SCORE
    if initialisms and any(_pieces(compact, words, start, single_letters=True) >= 2 for start in starts):
        return INITIALISM_SCORE
    if len(compact) >= 3:
        for word in words:
            if word != compact and not word.startswith(compact) and _is_subsequence(compact, word):
                return WORD_ABBREVIATION_SCORE
    return 0.0


def _pieces(compact: str, words: Sequence[str], start: int, *, single_letters: bool) -> int:
    """How many consecutive words from `start` `compact` abbreviates, piece by piece (0 when it doesn't).

    Pieces are either all single letters (an initialism: "cfo") or all two letters or more ("revops" = rev+ops);
    mixing them ("c" + "fo" for "Co-founder") finds abbreviations nobody meant.
    """
    memo: dict[tuple[int, int], int] = {}

    def solve(pos: int, w: int) -> int:
        if pos == len(compact):
            return w - start
        if w == len(words) or compact[pos] != words[w][0]:
            return 0
        if (pos, w) in memo:
            return memo[(pos, w)]
        result = 0
        if single_letters:
            result = solve(pos + 1, w + 1)
        else:
            word = words[w]
            matched = 1  # letters of `word` the piece compact[pos:end] has used
            for end in range(pos + 2, len(compact) + 1):
                found = word.find(compact[end - 1], matched)
                if found < 0:
                    break
                matched = found + 1
                result = solve(end, w + 1)
                if result:
                    break
        memo[(pos, w)] = result
        return result

    return solve(0, start)


def _is_subsequence(needle: str, haystack: str) -> bool:
    """True when `needle`'s letters appear in `haystack` in order, starting with its first letter."""
    if not haystack or needle[0] != haystack[0]:
        return False
    position = 0
    for ch in needle:
        position = haystack.find(ch, position)
        if position < 0:
            return False
        position += 1
    return True
