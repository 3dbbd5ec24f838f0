"""The adaptive selection: a deterministic simulation of a 300-rep team over a year, and the rule's own cases."""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field

from persona_store.evidence import StatementAgreement, VerdictCounts
from persona_store.models import ROLES
from persona_store.question_selection import (
    DEFAULT_CAP,
    TIER_DISPUTED,
    TIER_NEW_TO_REP,
    TIER_UNDER_COVERED,
    RepHistory,
    StatementState,
    question_count,
    select_statements,
    statement_states,
    tier,
)

REPS = 300
PERSONAS = 5
STATEMENTS = 8
QUARTERS = ("2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4")
MINIMUM = 3  # the coverage minimum per role (MIN_GROUP_SIZE's default)
SEED = 20261201
KINDS = ("goal", "goal", "goal", "pain_point", "pain_point", "pain_point", "objection", "objection")


@dataclass
class Tally:
    """One quarter's verdicts, as the evidence model would count them (each person once per statement)."""

    counts: dict[tuple[int, int], dict[str, VerdictCounts]] = field(default_factory=lambda: defaultdict(dict))

    def add(self, persona: int, position: int, role: str, verdict: str) -> None:
        found = self.counts[(persona, position)]
        found[role] = found.get(role, VerdictCounts()).plus(verdict, 1)

    def statements(self, persona: int, texts: list[tuple[str, str]]) -> list[StatementAgreement]:
        result = []
        for position, (kind, text) in enumerate(texts):
            by_role = self.counts.get((persona, position), {})
            total = VerdictCounts()
            for c in by_role.values():
                total = total.merged(c)
            result.append(StatementAgreement(persona, kind, text, position, total, dict(by_role)))
        return result


def _texts(persona: int) -> list[tuple[str, str]]:
    return [(KINDS[i], f"persona {persona} statement {i}") for i in range(STATEMENTS)]


def simulate(seed: int) -> tuple[dict[str, Tally], dict[tuple[str, str, int], tuple[int, ...]]]:
    """A year of quarterly rounds: each quarter about three reps in four answer, in a random order."""
    rng = random.Random(seed)
    roles = {f"U{n:04d}": rng.choice(ROLES) for n in range(REPS)}
    # how each persona's statements really land: some are mostly wrong (they become disputed)
    truth = {(p, i): rng.choice((0.9, 0.8, 0.6, 0.3)) for p in range(PERSONAS) for i in range(STATEMENTS)}
    history: dict[tuple[str, int], dict[tuple[str, str], int]] = defaultdict(dict)
    tallies: dict[str, Tally] = {}
    asked: dict[tuple[str, str, int], tuple[int, ...]] = {}
    previous: Tally | None = None
    for quarter in QUARTERS:
        tally = Tally()
        recent = Tally()  # the last two periods: the one before and this one, kept up to date as answers come
        for key, by_role in (previous.counts if previous else {}).items():
            recent.counts[key] = dict(by_role)
        order = list(roles)
        rng.shuffle(order)
        for user in order:
            if rng.random() >= 0.75:
                continue  # silent this quarter
            role = roles[user]
            for persona in range(PERSONAS):
                texts = _texts(persona)
                states = statement_states(
                    texts, tally.statements(persona, texts), recent.statements(persona, texts), role
                )
                chosen = select_statements(
                    quarter, user, persona, states, history=RepHistory(history[(user, persona)]), minimum=MINIMUM
                )
                asked[(quarter, user, persona)] = chosen
                for position in chosen:
                    verdict = "matches" if rng.random() < truth[(persona, position)] else "doesnt"
                    tally.add(persona, position, role, verdict)
                    recent.add(persona, position, role, verdict)
                    history[(user, persona)][texts[position]] = 1
        tallies[quarter] = tally
        previous = tally
    return tallies, asked


def test_the_team_covers_every_statement_in_every_role_each_quarter_and_nobody_answers_more_than_four() -> None:
    tallies, asked = simulate(SEED)
    for quarter, tally in tallies.items():
        for persona in range(PERSONAS):
            for position in range(STATEMENTS):
                by_role = tally.counts.get((persona, position), {})
                for role in ROLES:
                    views = by_role.get(role, VerdictCounts()).total
                    assert views >= MINIMUM, (quarter, persona, position, role, views)
    assert asked
    assert max(len(chosen) for chosen in asked.values()) <= DEFAULT_CAP
    assert all(len(chosen) == DEFAULT_CAP for chosen in asked.values())  # 8 statements: always 4 asked


def test_the_simulation_is_deterministic() -> None:
    first, asked_first = simulate(SEED)
    second, asked_second = simulate(SEED)
    assert asked_first == asked_second
    assert {q: dict(t.counts) for q, t in first.items()} == {q: dict(t.counts) for q, t in second.items()}


def test_reps_of_one_role_spread_over_the_statements_rather_than_all_answering_the_same_four() -> None:
    _, asked = simulate(SEED)
    for persona in range(PERSONAS):
        chosen = {c for (quarter, _, p), c in asked.items() if p == persona and quarter == QUARTERS[0]}
        assert len(chosen) > 10  # many different subsets, not one


def _state(position: int, **kw: object) -> StatementState:
    return StatementState(position=position, kind="goal", text=f"s{position}", **kw)  # type: ignore[arg-type]


def test_the_same_round_and_rep_get_the_same_questions_and_another_rep_other_ones() -> None:
    states = [_state(i, role_views=5, confirmed=True) for i in range(8)]
    history = RepHistory({(s.kind, s.text): 1 for s in states})
    one = select_statements("2026-Q4", "U1", 7, states, history=history, minimum=3)
    assert one == select_statements("2026-Q4", "U1", 7, list(reversed(states)), history=history, minimum=3)
    others = {select_statements("2026-Q4", f"U{n}", 7, states, history=history, minimum=3) for n in range(2, 30)}
    assert len(others) > 5
    assert len(one) == 4


def test_the_weakest_evidence_comes_first() -> None:
    known = RepHistory({("goal", f"s{i}"): 1 for i in range(8)})
    states = [_state(i, role_views=5, confirmed=True) for i in range(8)]
    states[6] = _state(6, role_views=1, confirmed=True)  # under-covered in this role
    states[2] = _state(2, role_views=9, disputed=True)
    states[4] = _state(4, role_views=9, confirmed=True, since_revision=3)  # reworded since the rep answered
    states[5] = _state(5, role_views=9, confirmed=False)  # not confirmed lately
    assert tier(states[6], known, 3) == TIER_UNDER_COVERED
    assert tier(states[2], known, 3) == TIER_DISPUTED
    assert tier(states[4], known, 3) == TIER_NEW_TO_REP
    assert select_statements("2026-Q4", "U1", 1, states, history=known, minimum=3) == (2, 4, 5, 6)


def test_a_persona_with_few_statements_asks_all_of_them_and_the_count_includes_fit() -> None:
    states = [_state(i) for i in range(3)]
    assert select_statements("2026-Q4", "U1", 1, states, minimum=3) == (0, 1, 2)
    assert question_count(3) == 4
    assert question_count(10) == 5
    assert question_count(0) == 1
