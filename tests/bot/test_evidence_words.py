"""The rules people read (prompts/evidence.j2) say exactly what persona_store/evidence.py's docstring says."""

from __future__ import annotations

import pytest

from bot.evidence_text import fit_text, rule_sentences
from persona_store import evidence
from persona_store.evidence import DEFAULT_MIN_GROUP_SIZE, DEFAULT_REVIEW_AFTER_DAYS, Fit


def _words(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize("name", evidence.RULES)
def test_each_rule_reads_the_same_in_the_template_and_the_docstring(name: str) -> None:
    sentence = rule_sentences(DEFAULT_REVIEW_AFTER_DAYS, DEFAULT_MIN_GROUP_SIZE, anonymous=True)[name]
    doc = _words(evidence.__doc__ or "")
    assert f"{name.upper()}: {_words(sentence)}" in doc


def test_the_rules_name_the_thresholds_in_force() -> None:
    sentences = rule_sentences(90, 5, anonymous=True)
    assert "for 90 days" in sentences[evidence.RULE_REVIEW_DUE]
    assert "fewer than 5 people" in sentences[evidence.RULE_MIN_GROUP]
    open_ = rule_sentences(90, 1, anonymous=False)[evidence.RULE_MIN_GROUP]
    assert "not anonymous" in open_


def test_a_fit_always_says_how_many_people_and_how_sure() -> None:
    assert fit_text(Fit.of(5, 16, 62), 1) == "3.2/5 ± 1.6 from 5 people"
    assert fit_text(Fit.of(1, 5, 25), 1) == "5.0/5 from 1 person"
    assert fit_text(Fit.of(1, 5, 25, min_group=3), 3) == "fewer than 3 people"
    assert fit_text(Fit(), 3) == "no ratings"
