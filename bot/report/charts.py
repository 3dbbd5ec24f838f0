"""Chart images for Slack: fit by role per persona, with the validated threshold drawn in, as a PNG.

Drawn off-screen with matplotlib's Agg canvas on a `Figure` made here, never through `pyplot`: pyplot keeps
global state (a current figure, a backend switch), which is not safe under Bolt's listener threads. Small DPI,
no anti-aliased text tricks, no fonts beyond matplotlib's own: rendering stays fast and needs no display.

Input is plain typed values, so any surface (round summary, `/persona results`) can pass its figures in.
"""

from __future__ import annotations

import io
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bot.labels import role_label
from bot.render import render_part, truncate
from bot.slack.limits import ALT_TEXT_MAX
from persona_store.evidence import VALIDATED_MIN_MEAN
from persona_store.models import FEEDBACK_ROLES

if TYPE_CHECKING:
    from matplotlib.figure import Figure

DPI = 100
HEIGHT_INCHES = 4.0
MAX_PERSONAS = 20  # more would be unreadable in one Slack image; callers pass the worst first
SCALE = (0.0, 5.0)  # the same 0–5 scale as the workbook's charts

# One colour per series, the same for every persona (colour-blind-safe Okabe–Ito hues).
_COLOURS = {"overall": "#333333", "sales": "#0072B2", "success": "#E69F00", "onboarding": "#009E73"}
_EXTRA_COLOURS = ("#CC79A7", "#56B4E9", "#D55E00", "#F0E442")
_THRESHOLD_COLOUR = "#C00000"


@dataclass(frozen=True)
class RoleFit:
    role: str  # role code: sales, success, onboarding, marketing, other
    fit: float | None  # mean fit 1–5; None: nobody in the role rated it
    people: int  # how many people the mean is from


@dataclass(frozen=True)
class PersonaFit:
    name: str
    overall: float | None
    people: int
    roles: Sequence[RoleFit] = field(default_factory=tuple)


@dataclass(frozen=True)
class ChartImage:
    png: bytes
    alt_text: str
    width: int  # pixels
    height: int
    bars: int  # bars drawn (a missing fit draws none)
    filename: str = "fit-by-role.png"


def _roles_in(personas: Sequence[PersonaFit]) -> list[str]:
    """The roles any persona has a fit for, in the roster's order (sales, success, onboarding, marketing, …)."""
    order = {role: i for i, role in enumerate(FEEDBACK_ROLES)}
    found = {r.role for p in personas for r in p.roles if r.fit is not None}
    return sorted(found, key=lambda role: (order.get(role, len(order)), role))


def _colour(series: str, index: int) -> str:
    return _COLOURS.get(series, _EXTRA_COLOURS[index % len(_EXTRA_COLOURS)])


def build_fit_figure(personas: Sequence[PersonaFit], *, period: str | None = None) -> Figure:
    """The figure (not yet drawn): grouped bars per persona (overall, then each role) and the threshold line."""
    shown = list(personas)[:MAX_PERSONAS]
    roles = _roles_in(shown)
    series = ["overall", *roles]
    width_inches = min(14.0, max(6.0, 2.0 + 0.45 * len(series) * max(1, len(shown))))
    # Not at the top: matplotlib costs about 0.3 s to import, which every process start (the clock, each CLI
    # command) would pay; only drawing a chart needs it (bench/crash_resume.py).
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width_inches, HEIGHT_INCHES), dpi=DPI)
    FigureCanvasAgg(figure)
    ax = figure.add_subplot()
    bar_width = 0.8 / len(series)
    for index, name in enumerate(series):
        xs: list[float] = []
        heights: list[float] = []
        for position, persona in enumerate(shown):
            value = persona.overall if name == "overall" else _role_fit(persona, name)
            if value is not None:
                xs.append(position - 0.4 + bar_width * (index + 0.5))
                heights.append(value)
        label = render_part("charts", "overall") if name == "overall" else _plain(role_label(name))
        bars = ax.bar(xs, heights, bar_width * 0.92, label=label, color=_colour(name, index))
        ax.bar_label(bars, fmt="%.1f", fontsize=7, padding=1)
    ax.axhline(
        VALIDATED_MIN_MEAN,
        color=_THRESHOLD_COLOUR,
        linestyle="--",
        linewidth=1.5,
        label=render_part("charts", "threshold", VALIDATED_MIN_MEAN),
    )
    ax.set_ylim(*SCALE)
    ax.set_yticks(range(int(SCALE[0]), int(SCALE[1]) + 1))
    ax.set_ylabel(render_part("charts", "fit_axis"))
    ax.set_xticks(range(len(shown)))
    ax.set_xticklabels([_plain(textwrap.fill(p.name, 16)) for p in shown], fontsize=8)
    for position, persona in enumerate(shown):
        if persona.overall is None and all(r.fit is None for r in persona.roles):
            ax.text(position, 0.15, render_part("charts", "no_ratings"), ha="center", fontsize=8, color="#777777")
    ax.set_xlim(-0.6, max(0, len(shown) - 1) + 0.6)
    ax.set_title(render_part("charts", "fit_title", period), fontsize=11)
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False)
    figure.tight_layout()
    return figure


def _plain(text: str) -> str:
    """Persona names are user text: a `$` would start matplotlib's math mode (and fail on an odd count)."""
    return text.replace("$", r"\$")


def _role_fit(persona: PersonaFit, role: str) -> float | None:
    return next((r.fit for r in persona.roles if r.role == role), None)


def count_bars(figure: Figure) -> int:
    return sum(len(container) for ax in figure.axes for container in ax.containers)


def fit_alt_text(personas: Sequence[PersonaFit], *, period: str | None = None) -> str:
    """Every number the bars show, in words, within Slack's alt text limit."""
    text = render_part("charts", "fit_alt_text", list(personas)[:MAX_PERSONAS], VALIDATED_MIN_MEAN, period)
    return truncate(" ".join(text.split()), ALT_TEXT_MAX)


def render_fit_chart(personas: Sequence[PersonaFit], *, period: str | None = None) -> ChartImage:
    """The PNG with its alt text. Safe to call from several threads at once."""
    figure = build_fit_figure(personas, period=period)
    buffer = io.BytesIO()
    # Fixed metadata keeps the same figures byte-for-byte the same image.
    figure.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    width, height = (round(float(v)) for v in figure.get_size_inches() * DPI)
    return ChartImage(buffer.getvalue(), fit_alt_text(personas, period=period), width, height, count_bars(figure))


__all__ = [
    "MAX_PERSONAS",
    "ChartImage",
    "PersonaFit",
    "RoleFit",
    "build_fit_figure",
    "count_bars",
    "fit_alt_text",
    "render_fit_chart",
]
