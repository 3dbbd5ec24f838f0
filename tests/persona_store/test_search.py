"""The `/persona <words>` matcher on a realistic set of twelve personas (the thresholds were tuned on it)."""

from __future__ import annotations

import random
from typing import Any

import pytest
from sqlalchemy import Engine, event
from sqlalchemy.orm import Session, sessionmaker

from persona_store.files import fold_name, slugify
from persona_store.models import Persona
from persona_store.persona_spec import PersonaSpec
from persona_store.personas import import_personas, list_personas
from persona_store.search import SearchResult, search_personas

FIXTURE = [
    ("Marketing Director Mary", "Marketing Director", "Runs demand generation and brand for a software firm."),
    ("Marketing Manager Max", "Marketing Manager", "Hands-on campaign manager in the marketing automation tool."),
    ("Field Marketer Fran", "Field Marketing Specialist", "Plans events and regional roadshows with the sales team."),
    ("Finance Fiona", "Chief Financial Officer", "Signs off on every software purchase above the budget threshold."),
    ("Pipeline Paul", "Revenue Operations Lead", "Keeps the CRM clean and forecasts honest for the sales leaders."),
    ("IT Admin Ivan", "IT Administrator", "Owns SSO, SCIM provisioning and the security review of new vendors."),
    ("Sales VP Victor", "VP of Sales", "Carries the number and wants reps selling, not updating spreadsheets."),
    ("Customer Success Sam", "Customer Success Manager", "Looks after renewals and adoption for mid-market accounts."),
    ("Procurement Priya", "Procurement Lead", "Negotiates contracts and checks vendor risk questionnaires."),
    ("Developer Dana", "Senior Software Engineer", "Evaluates APIs and webhooks before anyone signs."),
    ("HR Director Helen", "HR Director", "Rolls out tools to the whole company and cares about onboarding."),
    ("Founder Frank", "CEO and Co-founder", "Runs a 20-person startup and decides everything himself."),
]


def make_persona(persona_id: int, name: str, role: str = "", summary: str = "") -> Persona:
    return Persona(id=persona_id, key=slugify(name), name=name, name_folded=fold_name(name), role=role, summary=summary)


@pytest.fixture
def personas() -> list[Persona]:
    return [make_persona(i, *row) for i, row in enumerate(FIXTURE, start=1)]


def search(personas: list[Persona], query: str) -> SearchResult:
    return search_personas(personas, query)


def names(found: list[Persona]) -> list[str]:
    return [p.name for p in found]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("mary", "Marketing Director Mary"),
        ("Mary", "Marketing Director Mary"),
        ("fionna", "Finance Fiona"),
        ("fiona", "Finance Fiona"),
        ("revops", "Pipeline Paul"),
        ("rev ops", "Pipeline Paul"),
        ("RevOps", "Pipeline Paul"),
        ("revenue ops", "Pipeline Paul"),
        ("marketing dir", "Marketing Director Mary"),
        ("markting director", "Marketing Director Mary"),
        ("marketingdirector", "Marketing Director Mary"),
        ("director mary", "Marketing Director Mary"),
        ("cfo", "Finance Fiona"),
        ("chief financial officer", "Finance Fiona"),
        ("fin", "Finance Fiona"),
        ("it admin", "IT Admin Ivan"),
        ("scim", "IT Admin Ivan"),  # only in the summary
        ("procurment", "Procurement Priya"),
        ("succes", "Customer Success Sam"),
        ("vp sales", "Sales VP Victor"),
        ("sam", "Customer Success Sam"),
        ("fran", "Field Marketer Fran"),
        ("frank", "Founder Frank"),
    ],
)
def test_confident_matches(personas: list[Persona], query: str, expected: str) -> None:
    result = search(personas, query)
    assert result.best is not None, result
    assert result.best.name == expected
    assert result.found
    assert result.candidates == result.suggestions == []


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("marketing", {"Marketing Director Mary", "Marketing Manager Max", "Field Marketer Fran"}),
        ("director", {"Marketing Director Mary", "HR Director Helen"}),
        ("lead", {"Pipeline Paul", "Procurement Priya"}),
        ("mktg", {"Marketing Director Mary", "Marketing Manager Max", "Field Marketer Fran"}),
    ],
)
def test_ambiguous_queries_give_candidates(personas: list[Persona], query: str, expected: set[str]) -> None:
    result = search(personas, query)
    assert result.best is None
    assert set(names(result.candidates)) == expected
    assert result.suggestions == []


def test_candidates_respect_the_limit(personas: list[Persona]) -> None:
    assert len(search_personas(personas, "marketing", limit=2).candidates) == 2


@pytest.mark.parametrize("query", ["xyzzy", "qwerty uiop", "zzz"])
def test_nonsense_gives_suggestions_only(personas: list[Persona], query: str) -> None:
    result = search(personas, query)
    assert result.best is None
    assert result.candidates == []
    assert 1 <= len(result.suggestions) <= 3
    assert not result.found


def test_a_near_miss_suggests_the_closest_name_first(personas: list[Persona]) -> None:
    assert names(search(personas, "mery").suggestions)[0] == "Marketing Director Mary"
    assert names(search(personas, "fonia").suggestions)[0] == "Finance Fiona"


@pytest.mark.parametrize("query", ["", "   ", "\t\n", "!!!"])
def test_an_empty_query_matches_nothing(personas: list[Persona], query: str) -> None:
    assert search(personas, query) == SearchResult()


def test_no_personas_matches_nothing() -> None:
    assert search_personas([], "mary") == SearchResult()


def test_an_exact_key_or_name_wins_outright(personas: list[Persona]) -> None:
    # "Marketing" alone would be ambiguous; a persona called exactly that must still win
    personas.append(make_persona(99, "Marketing", "Generalist"))
    assert search(personas, "marketing").best is personas[-1]
    assert search(personas, "it-admin-ivan").best is personas[5]
    assert search(personas, "  customer   SUCCESS sam ").best is personas[7]


def test_accents_are_ignored() -> None:
    zoe = make_persona(1, "Zoë Müller", "Head of Growth")
    others = [make_persona(2, "Zack Miller", "Sales Rep"), zoe]
    assert search_personas(others, "zoe muller").best is zoe
    assert search_personas(others, "Zoë").best is zoe


def test_search_makes_no_database_calls(engine: Engine, sessions: sessionmaker[Session], workspace_id: int) -> None:
    """It takes a list; loading is the caller's job."""
    with sessions.begin() as s:
        import_personas(
            s, workspace_id, [PersonaSpec(name=n, key=slugify(n), role=r, summary=t) for n, r, t in FIXTURE]
        )
    with sessions() as s:
        loaded = list_personas(s, workspace_id)
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        assert search_personas(loaded, "revops").best is not None
        assert search_personas(loaded, "marketing").candidates
        assert search_personas(loaded, "xyzzy").suggestions
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert statements == []


def test_five_hundred_personas_sanity() -> None:
    """Sanity only, no timing assertion: about 4 ms a query on a small 2-core VM once the preparation is cached."""
    rng = random.Random(7)
    roles = [role for _name, role, _summary in FIXTURE]
    words = [
        "pipeline",
        "budget",
        "renewal",
        "security",
        "onboarding",
        "adoption",
        "forecast",
        "integration",
        "pricing",
        "churn",
    ]
    many = [
        make_persona(i, f"{rng.choice(['Ann', 'Bo', 'Cy', 'Di'])} {i} the {rng.choice(roles)}", rng.choice(roles))
        for i in range(488)
    ]
    for persona in many:
        persona.summary = " ".join(rng.choices(words, k=25))
    fixture = [make_persona(1000 + i, *row) for i, row in enumerate(FIXTURE)]
    everyone = many + fixture
    rng.shuffle(everyone)
    assert len(everyone) == 500
    assert search_personas(everyone, "fionna").best is fixture[3]
    assert search_personas(everyone, "marketing director mary").best is fixture[0]
    assert len(search_personas(everyone, "revenue operations").candidates) == 5
