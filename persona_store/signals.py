"""Signals: where what reps say about a persona (front-line fit) and what happens to its deals disagree.

Pure rules over plain inputs: `FitInput` (front-line fit figures, filled by `fit_inputs` — the one adapter from
the report's aggregates) and the outcome figures from `persona_store.outcomes`. Each signal carries its numbers
and the rule that raised it (`RULES` holds every threshold); the words live in `prompts/outcomes.j2`.

Signals sit beside the verdict: the verdict rule stays front-line, and nothing here changes it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from persona_store.evidence import PersonaEvidence
from persona_store.outcomes import OutcomesData, PersonaOutcomes

HIGH_FIT = 4.0  # reps say the persona fits: mean fit at least this …
LOW_FIT = 2.5  # … or doesn't: at most this
MIN_RATINGS = 3  # a mean fit counts only with this many ratings
MIN_CLOSED = 5  # a win rate counts only with this many closed deals (won + lost)
WIN_RATE_DROP = 0.10  # a fall of 10 points or more between periods
STALL_SHARE = 0.40  # a stage where at least this share of the lost deals dropped off is "where deals stall"
RARELY_MET_SHARE = 0.50  # at least half of the feedback says "haven't met this persona lately" …
MIN_WON_SHARE = 0.25  # … yet the persona is on at least a quarter of every won deal
MIN_WON = 5
WIN_RATE_LEAD = 0.10  # a low-fit persona winning 10 points above the workspace's win rate
MIN_LINKED_RATINGS = 3  # fit given on deals named in feedback: this many on won and on lost deals
MIN_SENT = 500  # campaign conversion counts with this many messages sent in each period
CONVERSION_DROP = 0.30  # a relative fall of 30% or more


class SignalKind(StrEnum):
    FITS_BUT_LOSING = "fits_but_losing"
    RARELY_MET_BUT_WINNING = "rarely_met_but_winning"
    LOW_FIT_BUT_WINNING = "low_fit_but_winning"
    FIT_BLIND_TO_OUTCOME = "fit_blind_to_outcome"
    FITS_BUT_NOT_CONVERTING = "fits_but_not_converting"


# The thresholds each rule uses, for stating the rule next to the signal.
RULES: dict[SignalKind, dict[str, float | int]] = {
    SignalKind.FITS_BUT_LOSING: {
        "high_fit": HIGH_FIT,
        "min_ratings": MIN_RATINGS,
        "min_closed": MIN_CLOSED,
        "drop": WIN_RATE_DROP,
        "stall_share": STALL_SHARE,
    },
    SignalKind.RARELY_MET_BUT_WINNING: {
        "rarely_met_share": RARELY_MET_SHARE,
        "min_ratings": MIN_RATINGS,
        "min_won_share": MIN_WON_SHARE,
        "min_won": MIN_WON,
    },
    SignalKind.LOW_FIT_BUT_WINNING: {
        "low_fit": LOW_FIT,
        "min_ratings": MIN_RATINGS,
        "min_closed": MIN_CLOSED,
        "lead": WIN_RATE_LEAD,
    },
    SignalKind.FIT_BLIND_TO_OUTCOME: {"min_linked": MIN_LINKED_RATINGS},
    SignalKind.FITS_BUT_NOT_CONVERTING: {
        "high_fit": HIGH_FIT,
        "min_ratings": MIN_RATINGS,
        "min_sent": MIN_SENT,
        "drop": CONVERSION_DROP,
    },
}


@dataclass(frozen=True)
class FitInput:
    """Front-line fit for one persona in one period, as plain numbers."""

    persona_id: int
    name: str
    mean_fit: float | None
    ratings: int
    previous_mean_fit: float | None = None
    records: int = 0  # feedback records, "haven't met" ones included
    not_met: int = 0

    @property
    def not_met_share(self) -> float | None:
        return self.not_met / self.records if self.records else None

    @property
    def rated(self) -> bool:
        return self.mean_fit is not None and self.ratings >= MIN_RATINGS


def fit_inputs(personas: Iterable[PersonaEvidence]) -> dict[int, FitInput]:
    """The one adapter from the evidence model's front-line figures (people, not records) to the signals' inputs."""
    return {
        p.persona_id: FitInput(
            persona_id=p.persona_id,
            name=p.name,
            mean_fit=p.fit.mean,
            ratings=p.fit.n,
            previous_mean_fit=p.previous.mean,
            records=p.people,
            not_met=p.not_met,
        )
        for p in personas
    }


@dataclass(frozen=True)
class Signal:
    kind: SignalKind
    persona_id: int
    persona_name: str
    numbers: Mapping[str, float | int | str | None] = field(default_factory=dict)

    @property
    def rule(self) -> Mapping[str, float | int]:
        return RULES[self.kind]


def _fits_but_losing(fit: FitInput, out: PersonaOutcomes) -> Signal | None:
    now, before = out.deals, out.previous
    if not fit.rated or fit.mean_fit is None or fit.mean_fit < HIGH_FIT:
        return None
    if now.closed < MIN_CLOSED or before.closed < MIN_CLOSED or now.win_rate is None or before.win_rate is None:
        return None
    if before.win_rate - now.win_rate < WIN_RATE_DROP - 1e-9:
        return None
    stall = now.worst_stage
    stalled = stall is not None and stall.share >= STALL_SHARE
    return Signal(
        SignalKind.FITS_BUT_LOSING,
        fit.persona_id,
        out.name,
        {
            "fit": fit.mean_fit,
            "ratings": fit.ratings,
            "win_rate": now.win_rate,
            "closed": now.closed,
            "previous_win_rate": before.win_rate,
            "previous_closed": before.closed,
            "stage": stall.stage if stalled and stall else None,
            "stage_share": stall.share if stalled and stall else None,
        },
    )


def _rarely_met_but_winning(fit: FitInput, out: PersonaOutcomes, total_won: int) -> Signal | None:
    share = out.deals.won_share
    if share is None or share < MIN_WON_SHARE or out.deals.won < MIN_WON:
        return None
    not_met = fit.not_met_share
    rarely = fit.ratings < MIN_RATINGS or (not_met is not None and not_met >= RARELY_MET_SHARE)
    if not rarely:
        return None
    return Signal(
        SignalKind.RARELY_MET_BUT_WINNING,
        fit.persona_id,
        out.name,
        {
            "ratings": fit.ratings,
            "not_met_share": not_met,
            "won_share": share,
            "won": out.deals.won,
            "total_won": total_won,
        },
    )


def _low_fit_but_winning(fit: FitInput, out: PersonaOutcomes, average: float | None) -> Signal | None:
    rate = out.deals.win_rate
    if not fit.rated or fit.mean_fit is None or fit.mean_fit > LOW_FIT:
        return None
    if rate is None or average is None or out.deals.closed < MIN_CLOSED or rate - average < WIN_RATE_LEAD - 1e-9:
        return None
    return Signal(
        SignalKind.LOW_FIT_BUT_WINNING,
        fit.persona_id,
        out.name,
        {"fit": fit.mean_fit, "ratings": fit.ratings, "win_rate": rate, "closed": out.deals.closed, "average": average},
    )


def _fit_blind(fit: FitInput, out: PersonaOutcomes) -> Signal | None:
    linked = out.fit_on_deals
    if linked.won_ratings < MIN_LINKED_RATINGS or linked.lost_ratings < MIN_LINKED_RATINGS:
        return None
    if linked.won_mean is None or linked.lost_mean is None or linked.lost_mean < linked.won_mean:
        return None
    return Signal(
        SignalKind.FIT_BLIND_TO_OUTCOME,
        fit.persona_id,
        out.name,
        {
            "won_fit": linked.won_mean,
            "won_ratings": linked.won_ratings,
            "lost_fit": linked.lost_mean,
            "lost_ratings": linked.lost_ratings,
        },
    )


def _fits_but_not_converting(fit: FitInput, out: PersonaOutcomes) -> Signal | None:
    now, before = out.campaigns, out.previous_campaigns
    if not fit.rated or fit.mean_fit is None or fit.mean_fit < HIGH_FIT:
        return None
    if now.sent < MIN_SENT or before.sent < MIN_SENT or now.conversion is None or not before.conversion:
        return None
    if (before.conversion - now.conversion) / before.conversion < CONVERSION_DROP - 1e-9:
        return None
    return Signal(
        SignalKind.FITS_BUT_NOT_CONVERTING,
        fit.persona_id,
        out.name,
        {
            "fit": fit.mean_fit,
            "ratings": fit.ratings,
            "conversion": now.conversion,
            "previous_conversion": before.conversion,
            "sent": now.sent,
        },
    )


def find_signals(fits: Mapping[int, FitInput], outcomes: OutcomesData) -> list[Signal]:
    """Every signal for the period, in the order of SignalKind, then by persona name."""
    average = outcomes.totals.win_rate if outcomes.totals.closed >= MIN_CLOSED else None
    found: list[Signal] = []
    for out in outcomes.personas:
        fit = fits.get(out.persona_id) or FitInput(out.persona_id, out.name, None, 0)
        for signal in (
            _fits_but_losing(fit, out),
            _rarely_met_but_winning(fit, out, outcomes.totals.won),
            _low_fit_but_winning(fit, out, average),
            _fit_blind(fit, out),
            _fits_but_not_converting(fit, out),
        ):
            if signal is not None:
                found.append(signal)
    order = {kind: i for i, kind in enumerate(SignalKind)}
    found.sort(key=lambda s: (order[s.kind], s.persona_name.casefold()))
    return found


__all__ = ["RULES", "FitInput", "Signal", "SignalKind", "find_signals", "fit_inputs"]
