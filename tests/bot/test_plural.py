"""Counts read right everywhere: one helper (and Jinja filter) makes "1 persona", "2 need review", "1 doesn't match"."""

from __future__ import annotations

from bot.render import environment, plural, render_part
from persona_store.evidence import ResponseRate


def test_plural_picks_the_form_for_the_count() -> None:
    assert plural(1, "persona") == "1 persona"
    assert plural(0, "persona") == "0 personas"
    assert plural(2, "needs review", "need review") == "2 need review"
    assert plural(1, "needs review", "need review") == "1 needs review"
    assert plural(12_500, "response") == "12,500 responses"


def test_templates_count_with_the_filter() -> None:
    assert environment().filters["plural"] is plural
    nobody = ResponseRate(None)
    assert render_part("reports", "headline", 1, ["1 validated"], nobody) == "1 persona: 1 validated; no check-in round"
    assert render_part("lookup", "list_header", 1).startswith("*1 active persona*")


def test_a_verdict_count_agrees_with_its_verb() -> None:
    module = environment().get_template("feedback.j2").module
    assert str(module.verdict_count("doesnt", 1)) == "1 doesn't match"
    assert str(module.verdict_count("doesnt", 2)) == "2 don't match"
    assert str(module.verdict_count("matches", 1)) == "1 matches"


def test_the_report_headline_says_need_review_for_two() -> None:
    from bot.services.reports import VERDICT_PLURALS

    parts = [plural(2, "needs review", VERDICT_PLURALS["needs review"]), plural(1, "validated", None)]
    half = ResponseRate(None, asked=2, answered=1)
    assert render_part("reports", "headline", 3, parts, half).startswith(
        "3 personas: 2 need review, 1 validated; response rate 50"
    )
