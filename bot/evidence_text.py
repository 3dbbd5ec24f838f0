"""The evidence model's rules and figures in words (prompts/evidence.j2), the same on every surface."""

from __future__ import annotations

from bot.render import render_part
from persona_store import evidence
from persona_store.evidence import Fit


def rule_sentences(review_after_days: int, min_group: int, anonymous: bool) -> dict[str, str]:
    """Every rule's sentence by its name (`evidence.RULES`), with this workspace's thresholds."""
    args: dict[str, tuple[object, ...]] = {
        evidence.RULE_AGREEMENT: (evidence.PARTLY_WEIGHT,),
        evidence.RULE_VERDICT: (
            evidence.MIN_RATED_PEOPLE,
            evidence.VALIDATED_MIN_MEAN,
            evidence.VALIDATED_MIN_AGREEMENT,
        ),
        evidence.RULE_DISAGREEMENT: (evidence.DISAGREEMENT_GAP, evidence.MIN_PEOPLE_PER_ROLE),
        evidence.RULE_REVIEW_DUE: (review_after_days,),
        evidence.RULE_MIN_GROUP: (min_group, anonymous),
        evidence.RULE_DISPUTED: (evidence.VALIDATED_MIN_AGREEMENT, evidence.DISPUTED_MIN_VIEWS),
        evidence.RULE_COVERAGE: (evidence.DEFAULT_MIN_GROUP_SIZE,),
    }
    return {name: render_part("evidence", name, *args.get(name, ())) for name in evidence.RULES}


def fit_text(fit: Fit, min_group: int) -> str:
    """e.g. "3.2/5 ± 1.6 from 5 people", "fewer than 3 people", "no ratings"."""
    return render_part("evidence", "fit", fit, min_group)
