"""Themes in "what's missing" and "objections heard": grouped by shared wording, counted in people."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime

import pytest
from sqlalchemy.orm import Session, sessionmaker

from persona_store.models import CheckinRound, Feedback, Persona
from persona_store.quarters import parse_period
from persona_store.themes import ThemeText, content_words, group_themes, latest_texts, split_points, themes_for_period
from tests.reports_seed import seed_world

# What reps actually typed in a quarter's check-in (one text per person).
MISSING = [
    ThemeText("U01", "sales", "Pricing is too high for small teams"),
    ThemeText("U02", "sales", "They push back on price for teams under 10 seats"),
    ThemeText("U03", "success", "Price for small teams; no SSO on the basic plan"),
    ThemeText("U04", "onboarding", "Needs SSO / SAML before they sign"),
    ThemeText("U05", "success", "SSO and SAML support is missing"),
    ThemeText("U06", "sales", "Security review takes months"),
    ThemeText("U07", "sales", "Their security team wants a review and a SOC 2 report"),
    ThemeText("U08", "onboarding", "Integration with Salesforce"),
    ThemeText("U09", "success", "Salesforce integration is the first thing they ask about"),
    ThemeText("U10", "marketing", "They read G2 reviews before anything else"),
]


def test_texts_group_into_themes_by_shared_wording() -> None:
    themes = group_themes(MISSING)
    by_label = {t.label: t for t in themes}
    assert set(by_label) == {
        "Price small teams",
        "SSO SAML",
        "Integration Salesforce",
        "Security review",
        "They read G2 reviews before anything else",
        "No SSO on the basic plan",
    }
    price = by_label["Price small teams"]
    assert price.people == 3 and price.roles == ("sales", "success")
    assert price.quote == "Price for small teams", "the most typical point, as written"
    sso = by_label["SSO SAML"]
    assert sso.people == 2 and sso.roles == ("success", "onboarding")
    assert by_label["No SSO on the basic plan"].people == 1, "U03's second point is split off: its own theme"
    assert by_label["Security review"].roles == ("sales",)
    assert by_label["They read G2 reviews before anything else"].people == 1, "a lone text is its own theme"


def test_most_people_first_and_the_same_whatever_the_input_order() -> None:
    expected = group_themes(MISSING)
    assert [t.people for t in expected] == sorted((t.people for t in expected), reverse=True)
    shuffled = list(MISSING)
    for seed in range(5):
        random.Random(seed).shuffle(shuffled)
        assert group_themes(shuffled) == expected


def test_counts_are_people_not_records() -> None:
    texts = [
        ThemeText("U01", "sales", "No SSO; SSO is missing, SSO!"),
        ThemeText("U01", "sales", "no sso"),  # the same person again (a caller passing two records)
        ThemeText("U02", "success", "They want SSO"),
    ]
    (theme,) = group_themes(texts)
    assert theme.people == 2 and theme.label == "SSO"


def test_one_common_word_does_not_make_a_theme() -> None:
    texts = [
        ThemeText("U01", "sales", "Pricing for teams"),
        ThemeText("U02", "sales", "SSO for teams"),
        ThemeText("U03", "success", "Pricing for teams, please"),
    ]
    assert sorted((t.label, t.people) for t in group_themes(texts)) == [("Pricing teams", 2), ("SSO for teams", 1)]


def test_unrelated_texts_stay_apart() -> None:
    texts = [
        ThemeText("U01", "sales", "Procurement takes a quarter"),
        ThemeText("U02", "sales", "Wants a mobile app"),
        ThemeText("U03", "success", "Reporting dashboard is too basic"),
        ThemeText("U04", "onboarding", "Data migration from spreadsheets"),
    ]
    assert [t.people for t in group_themes(texts)] == [1, 1, 1, 1]


def test_empty_and_filler_texts_make_no_theme() -> None:
    assert group_themes([]) == []
    assert group_themes([ThemeText("U01", "sales", ""), ThemeText("U02", "sales", "nothing, they are fine.")]) != []
    assert group_themes([ThemeText("U01", "sales", "  "), ThemeText("U02", "sales", "it is what it is")]) == []


def test_words_and_points() -> None:
    assert content_words("Prices and PRICING, the price!") == ["pric"]
    assert content_words("Integrations with Salesforce") == ["integration", "salesforc"], "stems, not words"
    assert split_points("Pricing; SSO\n• onboarding calls - too long") == [
        "Pricing",
        "SSO",
        "onboarding calls",
        "too long",
    ]


def test_a_long_quote_is_trimmed_and_a_label_stays_short() -> None:
    long = "Needs an audit trail for every change " + "and more detail " * 40
    (theme,) = group_themes([ThemeText("U01", "sales", long)])
    assert len(theme.quote) <= 280 and theme.quote.endswith("…")
    assert len(theme.label) <= 60


# --- reading texts from the database --------------------------------------------------------------------------------


def test_latest_text_per_person_per_persona_scoped_to_the_workspace(sessions: sessionmaker[Session]) -> None:
    world = seed_world(sessions)
    other = seed_world(sessions, team_id="T0OTHER")
    charlie = world.personas["Charlie"]
    with sessions.begin() as s:

        def add(author: str, role: str, when: datetime, **text: str) -> None:
            s.add(
                Feedback(
                    workspace_id=world.workspace_id,
                    persona_id=charlie,
                    revision_number=1,
                    submission_key=f"theme-{author}-{when:%j%H}",
                    author_id=author,
                    author_role=role,
                    source="adhoc",
                    created_at=when,
                    updated_at=when,
                    **text,
                )
            )

        # U0SALES1 wrote a hostile "missing" text on 14 Aug (seed); a later one replaces it for themes.
        add("U0SALES1", "sales", datetime(2026, 9, 2, tzinfo=UTC), missing_text="Pricing for small teams")
        add("U0SALES1", "sales", datetime(2026, 9, 3, tzinfo=UTC))  # no text: doesn't erase the one before
        add("U0SUCC1", "success", datetime(2026, 9, 4, tzinfo=UTC), missing_text="price for small teams")
        add("U0SUCC1", "success", datetime(2026, 4, 4, tzinfo=UTC), missing_text="Q2: not in this period")

    period = parse_period("2026-Q3")
    with sessions.begin() as s:
        texts = latest_texts(s, world.workspace_id, period, "missing")
        scoped = latest_texts(s, world.workspace_id, period, "missing", persona_id=charlie)
        objections = latest_texts(s, world.workspace_id, period, "objection")
        elsewhere = latest_texts(s, other.workspace_id, period, "missing")
    people = {t.person: t.text for t in texts[charlie]}
    assert people == {
        "U0SALES1": "Pricing for small teams",
        "U0SUCC1": "price for small teams",
        "U0ONB1": "bell\x07 and\x1b escape\x0b",
    }
    assert list(texts) == [charlie] and scoped == texts
    assert {t.person for t in objections[charlie]} == {"U0SALES1", "U0SALES2"}
    assert {t.person for t in elsewhere[other.personas["Charlie"]]} == {"U0SALES1", "U0ONB1"}, "no leak across"

    with sessions.begin() as s:
        grouped = themes_for_period(s, world.workspace_id, period)
    missing = next(g for g in grouped if g.persona_id == charlie and g.kind == "missing")
    top = missing.themes[0]
    assert top.people == 2 and top.roles == ("sales", "success")


def test_a_rounds_texts_count_in_the_rounds_quarter(sessions: sessionmaker[Session], workspace_id: int) -> None:
    with sessions.begin() as s:
        persona = Persona(
            workspace_id=workspace_id,
            key="echo",
            name="Echo",
            name_folded="echo",
            revised_at=datetime(2026, 1, 1, tzinfo=UTC),
            created_at=datetime(2026, 1, 1, tzinfo=UTC),
            reviewed_at=datetime(2026, 1, 1, tzinfo=UTC),
        )
        round_ = CheckinRound(workspace_id=workspace_id, quarter="2026-Q3", status="closed", due_date=date(2026, 7, 20))
        s.add_all([persona, round_])
        s.flush()
        late = datetime(2026, 10, 3, tzinfo=UTC)
        s.add(
            Feedback(
                workspace_id=workspace_id,
                persona_id=persona.id,
                round_id=round_.id,
                revision_number=1,
                submission_key="late",
                author_id="U1",
                author_role="sales",
                source="checkin",
                objections_text="Too expensive",
                created_at=late,
                updated_at=late,
            )
        )
        pid = persona.id
    with sessions.begin() as s:
        assert [t.text for t in latest_texts(s, workspace_id, parse_period("2026-Q3"), "objection")[pid]] == [
            "Too expensive"
        ]
        assert latest_texts(s, workspace_id, parse_period("2026-Q4"), "objection") == {}


def test_the_work_grows_linearly_with_the_number_of_people(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each text is compared with a bounded sample of each theme, never with every text before it."""
    from persona_store import themes as module

    calls = 0
    real = module.fuzz.token_set_ratio

    class Counting:
        @staticmethod
        def token_set_ratio(a: str, b: str) -> float:
            nonlocal calls
            calls += 1
            return float(real(a, b))

    monkeypatch.setattr(module, "fuzz", Counting)
    words = ["pricing", "sso", "security review", "salesforce", "mobile app", "training"]
    texts = [ThemeText(f"U{i}", "sales", f"{words[i % 6]} please") for i in range(600)]
    found = group_themes(texts)
    assert sum(t.people for t in found) == 600 and len(found) == 6
    sample = module.LINKAGE_SAMPLE
    assert calls <= 600 * len(found) * sample + len(found) * (2 * sample) ** 2
