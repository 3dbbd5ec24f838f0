"""`/persona results`, the card's trust line, the owner's Home and the round summary's extras: service and blocks."""

from __future__ import annotations

import io
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from bot import ids
from bot.blocks.checkins import build_summary
from bot.blocks.home import build_home
from bot.blocks.limits import assert_valid_blocks, assert_valid_view
from bot.blocks.persona import build_card
from bot.blocks.results import COVERAGE_SHOWN, build_results
from bot.config import Settings
from bot.report.charts import render_fit_chart
from bot.services import Services
from bot.services.results import ResultsStatus, split_args
from bot.services.reviews import ReviewStatus
from persona_store import evidence as evidence_model
from persona_store.evidence import StatementCoverage, Verdict, statement_coverage
from persona_store.models import ROLES, Feedback, Persona
from persona_store.quarters import Period, parse_quarter
from tests.evidence_seed import MANAGER, MARY, NOW, OWNER, SID, Truth, seed_truth


@pytest.fixture
def services(sessions: sessionmaker[Session]) -> Iterator[Services]:
    with ThreadPoolExecutor(1) as pool:
        yield Services.build(Settings.from_env({"PERSONA_BOT_ADMINS": "U0ADMIN"}), sessions, pool)


@pytest.fixture
def world(sessions: sessionmaker[Session]) -> Truth:
    truth = seed_truth(sessions)
    with sessions.begin() as s:  # a "what's missing" note from two people, in the same words
        for author, text in (("U0SUCC1", "Pricing for small teams"), ("U0SUCC2", "pricing for small teams?")):
            s.execute(
                update(Feedback)
                .where(Feedback.persona_id == truth.mary, Feedback.author_id == author)
                .values(missing_text=text)
            )
    return truth


def _texts(blocks: list[dict[str, object]]) -> str:
    return str(blocks)


def test_the_persona_and_the_quarter_are_read_from_the_words() -> None:
    assert split_args("mary 2026-Q4") == ("mary", "2026-Q4")
    assert split_args("marketing director mary") == ("marketing director mary", None)
    assert split_args("2026q3") == ("", "2026q3")


def test_a_manager_sees_one_persona_with_every_part(services: Services, world: Truth) -> None:
    answer = services.results.results(world.team_id, MANAGER, "mary 2026-Q4", now=NOW)
    assert answer.status is ResultsStatus.PERSONA and answer.result is not None
    p = answer.result.persona
    assert p.name == MARY and p.verdict is Verdict.CONTESTED and p.previous_verdict is Verdict.NOT_ENOUGH_DATA
    assert [s.text for s in answer.result.disputed] == ["Too many tools"]
    (theme,) = answer.result.themes
    assert theme.people == 2 and theme.roles == ("success",)
    message = build_results(answer)
    assert_valid_blocks(message["blocks"])
    text = _texts(message["blocks"])
    assert "contested" in text and "was not enough data in 2026-Q3" in text
    assert "3.2/5 ± 1.6 from 5 people" in text and "+1.2 on 2026-Q3" in text
    assert "Sales: 4.3/5" in text and "Customer success: 1.5/5" in text
    assert "Too many tools" in text and "50 % agree" in text and "Customer success 0 %" in text
    assert "2 people (Customer success)" in text
    buttons = [e for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert [b["action_id"] for b in buttons] == [
        ids.ACTION_HOME_DOWNLOAD_REPORT,
        ids.ACTION_EDIT_PICK,
        ids.ACTION_RESULTS_HISTORY,
    ]
    assert buttons[0]["value"] == "2026-Q4" and buttons[1]["value"] == str(world.mary)


def test_the_chart_is_fit_by_role_with_numbers_in_its_alt_text(services: Services, world: Truth) -> None:
    answer = services.results.results(world.team_id, MANAGER, "mary 2026-Q4", now=NOW)
    image = render_fit_chart(answer.chart, period=answer.period_label)
    assert image.bars == 3, "overall, Sales, Customer success"
    decoded = Image.open(io.BytesIO(image.png))
    assert decoded.format == "PNG" and decoded.size == (image.width, image.height)
    assert "overall 3.2 from 5 people" in image.alt_text and "Customer success 1.5 (2 people)" in image.alt_text


def test_the_minimum_group_withholds_small_groups_everywhere(sessions: sessionmaker[Session], world: Truth) -> None:
    env = {"PERSONA_BOT_ADMINS": "U0ADMIN", "ANONYMOUS_RATINGS": "true", "MIN_GROUP_SIZE": "3"}
    with ThreadPoolExecutor(1) as pool:
        services = Services.build(Settings.from_env(env), sessions, pool)
        answer = services.results.results(world.team_id, MANAGER, "mary 2026-Q4", now=NOW)
    assert answer.result is not None
    text = _texts(build_results(answer)["blocks"])
    assert "Customer success: fewer than 3 people" in text and "1.5" not in text
    assert "Customer success fewer than 3 people" in text, "the role's agreement on the statement is withheld too"
    assert "(Customer success)" not in text, "a theme from two people does not name their role"
    image = render_fit_chart(answer.chart, period=answer.period_label)
    assert image.bars == 2 and "1.5" not in image.alt_text


def test_without_a_persona_every_persona_worst_first(services: Services, world: Truth) -> None:
    answer = services.results.results(world.team_id, "U0ADMIN", "2026-Q4", now=NOW)
    assert answer.status is ResultsStatus.LIST and answer.everyone
    assert [p.name for p in answer.personas] == [MARY, SID], "contested before not enough data"
    message = build_results(answer)
    assert_valid_blocks(message["blocks"])
    assert "1 statement disputed" in _texts(message["blocks"])


def test_an_owner_sees_their_own_and_nobody_else_sees_anything(
    services: Services, world: Truth, sessions: sessionmaker[Session]
) -> None:
    assert services.results.results(world.team_id, OWNER, "mary", now=NOW).status is ResultsStatus.PERSONA
    with sessions.begin() as s:
        s.execute(update(Persona).where(Persona.id == world.sid).values(owner="U0SOMEONE"))
    assert services.results.results(world.team_id, OWNER, "sid", now=NOW).status is ResultsStatus.NOT_ALLOWED
    mine = services.results.results(world.team_id, OWNER, "", now=NOW)
    assert [p.name for p in mine.personas] == [MARY] and not mine.everyone
    refused = services.results.results(world.team_id, "U0SALES1", "mary", now=NOW)
    assert refused.status is ResultsStatus.NOT_ALLOWED
    assert "managers, admins and each persona's owner" in _texts(build_results(refused)["blocks"])
    forged = services.results.results(world.team_id, "U0SALES1", "", persona_id=world.mary, now=NOW)
    assert forged.status is ResultsStatus.NOT_ALLOWED
    assert services.results.results(world.team_id, MANAGER, "", persona_id=10**12).status is ResultsStatus.GONE


def test_a_bad_or_empty_quarter_and_an_unknown_name_are_answered_kindly(services: Services, world: Truth) -> None:
    bad = services.results.results(world.team_id, MANAGER, "mary 2026-Q7", now=NOW)
    assert bad.status is ResultsStatus.BAD_QUARTER
    empty = services.results.results(world.team_id, MANAGER, "mary 2019-Q1", now=NOW)
    assert empty.status is ResultsStatus.NOTHING and empty.latest == "2026-Q4"
    unknown = services.results.results(world.team_id, MANAGER, "zebra", now=NOW)
    assert unknown.status is ResultsStatus.NO_MATCH
    for answer in (bad, empty, unknown):
        assert_valid_blocks(build_results(answer)["blocks"])
    assert "2026-Q4" in _texts(build_results(empty)["blocks"])


def test_the_card_carries_the_trust_line_and_marks_the_disputed_statement(services: Services, world: Truth) -> None:
    lookup = Services.build(services.settings, services.sessions, services.background)
    lookup.lookup = type(services.lookup)(services.sessions, now=lambda: NOW)
    card = lookup.lookup.lookup(world.team_id, "mary").card
    assert card is not None
    blocks = build_card(card)
    assert_valid_blocks(blocks)
    text = _texts(blocks)
    assert "Contested · rated by 5 people in 2026-Q4 · 1 statement disputed by Customer success" in text
    assert "Too many tools · ⚠️ _disputed_" in text
    assert "Grow pipeline ·" not in text


def test_the_card_names_no_role_below_the_minimum_group(sessions: sessionmaker[Session], world: Truth) -> None:
    env = {"ANONYMOUS_RATINGS": "true", "MIN_GROUP_SIZE": "3"}
    settings = Settings.from_env(env)
    with ThreadPoolExecutor(1) as pool:
        services = Services.build(settings, sessions, pool)
    from bot.services.lookup import LookupService

    card = LookupService(sessions, rules=settings.rules_in, now=lambda: NOW).lookup(world.team_id, "mary").card
    assert card is not None and services is not None
    text = _texts(build_card(card))
    assert "1 statement disputed ·" not in text and "disputed by Customer success" not in text
    # Success (2 people) is withheld, so no role gap either: needs review, not contested.
    assert "Needs review · rated by 5 people in 2026-Q4 · 1 statement disputed" in text


def test_the_owners_home_lists_their_personas_with_buttons(services: Services, world: Truth) -> None:
    view = services.home.build_for(world.team_id, OWNER, now=NOW)
    home = build_home(view)
    assert_valid_view(home)
    text = str(home["blocks"])
    assert "Most disputed: “Too many tools” (50 % agree)" in text and "trend ↗" in text
    clicks = [(e["action_id"], e["value"]) for b in home["blocks"] if b["type"] == "actions" for e in b["elements"]]
    mary = str(world.mary)
    assert (ids.ACTION_RESULTS_OPEN, mary) in clicks and (ids.ACTION_HOME_STILL_ACCURATE, mary) in clicks
    assert (ids.ACTION_EDIT_PICK, mary) in clicks
    assert "Personas due for your review" in text, "Mary was last reviewed in March"
    assert sum(1 for c in clicks if c == (ids.ACTION_HOME_STILL_ACCURATE, mary)) == 2, "her row and her due review"


def test_still_accurate_from_home_is_the_reviews_answer_for_the_owner_only(services: Services, world: Truth) -> None:
    refused = services.results.still_accurate(world.team_id, "U0SALES1", world.mary, now=NOW)
    assert refused.status is ReviewStatus.NOT_ALLOWED
    done = services.results.still_accurate(world.team_id, OWNER, world.mary, now=NOW)
    assert done.status is ReviewStatus.RECORDED and done.outcome == "accurate"
    later = services.home.build_for(world.team_id, OWNER, now=NOW + timedelta(minutes=1))
    assert not later.due_reviews
    assert services.results.still_accurate(world.team_id, OWNER, 10**12).status is ReviewStatus.GONE


def test_the_round_summary_shows_verdict_changes_and_buttons(services: Services, world: Truth) -> None:
    summary = services.checkins.summary(world.team_id, world.round_id)
    assert summary is not None
    message = build_summary(summary, with_report=True)
    assert_valid_blocks(message["blocks"])
    text = str(message["blocks"])
    assert "was not enough data in 2026-Q3" in text
    (buttons,) = [b for b in message["blocks"] if b.get("block_id") == ids.BLOCK_SUMMARY_ACTIONS]
    assert [e["action_id"] for e in buttons["elements"]] == [ids.ACTION_RESULTS_OPEN, ids.ACTION_HOME_DOWNLOAD_REPORT]


def test_twenty_personas_fit_one_message_and_one_chart(sessions: sessionmaker[Session]) -> None:
    from tests.reports_many import NAMES, REPS, TEAM, seed_many
    from tests.reports_many import NOW as MANY_NOW

    seed_many(sessions)
    manager = next(user for user, _, _ in REPS if user.endswith("1"))
    with ThreadPoolExecutor(1) as pool:
        services = Services.build(Settings.from_env({}), sessions, pool)
        answer = services.results.results(TEAM, manager, "2026-Q3", now=MANY_NOW)
        one = services.results.results(TEAM, manager, f"{NAMES[1]} 2026-Q3", now=MANY_NOW)
    assert answer.status is ResultsStatus.LIST and len(answer.personas) == 20
    message = build_results(answer)
    assert_valid_blocks(message["blocks"])
    image = render_fit_chart(answer.chart, period=answer.period_label)
    drawn = sum(1 for p in answer.chart if p.overall is not None)
    drawn += sum(1 for p in answer.chart for r in p.roles if r.fit is not None)
    assert image.bars == drawn and Image.open(io.BytesIO(image.png)).format == "PNG"
    assert len(image.alt_text) <= 2000
    assert one.status is ResultsStatus.PERSONA and one.result is not None
    assert_valid_blocks(build_results(one)["blocks"])


def _coverage_section(blocks: list[dict[str, Any]]) -> str:
    (section,) = [b for b in blocks if b["type"] == "section" and "*Coverage*" in b["text"]["text"]]
    return str(section["text"]["text"])


def test_one_persona_shows_each_statements_views_and_the_roles_short_of_the_minimum(
    services: Services, world: Truth, sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    loads: list[object] = []
    load = evidence_model.load_evidence
    monkeypatch.setattr(evidence_model, "load_evidence", lambda *a, **k: loads.append(a) or load(*a, **k))
    answer = services.results.results(world.team_id, MANAGER, "mary 2026-Q4", now=NOW)
    assert len(loads) == 1, "coverage counts the evidence already loaded"
    monkeypatch.undo()
    assert answer.result is not None
    with sessions.begin() as s:  # the evidence model's own coverage of the same period
        expected = statement_coverage(s, world.workspace_id, Period.single(parse_quarter("2026-Q4")), now=NOW)
    assert answer.result.coverage == tuple(c for c in expected if c.persona_id == world.mary)
    tools = next(c for c in answer.result.coverage if c.text == "Too many tools")
    assert tools.views == 5 and tools.role_views("sales") == 3 and tools.role_views("success") == 2
    message = build_results(answer)
    assert_valid_blocks(message["blocks"])
    text = _coverage_section(message["blocks"])
    assert "0 of 2 statements reached 3 views in every role" in text
    assert "• “Too many tools” · 5 views · Sales ✓ 3 · Customer success ✗ 2 (needs 3)" in text
    assert "• “Grow pipeline” · no views yet: each role needs 3\n" in text
    assert not [b for b in message["blocks"] if "more:" in str(b)], "two statements: nothing left for the report"


def test_coverage_withholds_a_role_below_the_minimum_group(sessions: sessionmaker[Session], world: Truth) -> None:
    env = {"PERSONA_BOT_ADMINS": "U0ADMIN", "ANONYMOUS_RATINGS": "true", "MIN_GROUP_SIZE": "3"}
    with ThreadPoolExecutor(1) as pool:
        services = Services.build(Settings.from_env(env), sessions, pool)
        answer = services.results.results(world.team_id, MANAGER, "mary 2026-Q4", now=NOW)
    text = _coverage_section(build_results(answer)["blocks"])
    assert "Sales ✓ 3 · Customer success ✗ fewer than 3 people ·" in text and "✗ 2" not in text


def test_many_statements_keep_to_one_section_and_point_to_the_coverage_sheet(services: Services, world: Truth) -> None:
    answer = services.results.results(world.team_id, MANAGER, "mary 2026-Q4", now=NOW)
    assert answer.result is not None

    def statement(i: int, text: str) -> StatementCoverage:
        marketing = 3 if i % 2 else 1  # odd statements are covered in every role, even ones not in Marketing
        return StatementCoverage(
            world.mary,
            MARY,
            "goal",
            text,
            i,
            9 + marketing,
            dict(zip(ROLES, (3, 3, 3, marketing), strict=True)),
            ROLES,
            3,
        )

    plain = tuple(statement(i, f"Statement {i} <b>" + "x" * 300) for i in range(40))
    escaped = tuple(statement(i, "&" * 300) for i in range(40))  # escaping grows each line fivefold
    for many, everyone in ((plain, True), (plain, False), (escaped, True)):
        crowded = replace(answer, result=replace(answer.result, coverage=many), everyone=everyone)
        blocks = build_results(crowded)["blocks"]
        assert_valid_blocks(blocks)
        text = _coverage_section(blocks)
        lines = [line for line in text.splitlines() if line.startswith("• ")]
        assert 0 < len(lines) <= COVERAGE_SHOWN and len(text) <= 3000 and text.endswith("(needs 3)")
        assert "<b>" not in text and "&" * 2 not in text, "statements are escaped"
        assert all("Marketing ✗ 1 (needs 3)" in line for line in lines), "the statements short of the minimum first"
        assert "20 of 40 statements reached 3 views" in text
        more = str([b for b in blocks if b["type"] == "context"])
        assert f"and {40 - len(lines)} more:" in more and "Coverage sheet" in more
        assert ("Download report" in more) is everyone
    assert len(lines) < COVERAGE_SHOWN, "the escaped statements fill the section before the count does"
