"""One truth: every surface prints the same figures for Marketing Director Mary in 2026-Q4, on SQLite and PostgreSQL.

The world (tests/evidence_seed.py) has repeat raters, an edited answer, a check-in answer overriding an ad-hoc one,
a skip, an unreachable rep, two roles that disagree and a persona with a single rater. Each surface is read the way
a person reads it (rendered blocks, CLI output, the workbook read back with openpyxl); the figures found are
compared with each other and with the hand-checked values. `test_a_surface_that_counts_records_is_caught` proves
the check fails when one surface counts records instead of people.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.blocks.checkins import build_status, build_summary
from bot.blocks.home import build_home
from bot.blocks.persona import build_card
from bot.blocks.reviews import build_review_dm
from bot.cli import cli
from bot.config import Settings
from bot.services import home as home_service
from bot.services.checkins import CheckinService
from bot.services.home import HomeService
from bot.services.lookup import LookupService
from bot.services.reports import ReportService
from bot.services.reviews import ReviewService
from persona_store.evidence import Evidence, Fit
from persona_store.models import Feedback
from tests.evidence_seed import MANAGER, MARY, NOW, OWNER, QUARTER, Truth, seed_truth

# What the evidence model says (and a person checks by hand: see tests/evidence_seed.py).
TRUTH = {
    "verdict": "contested",
    "fit": "3.2",
    "margin": "1.6",
    "n": "5",
    "sales": ("4.3", "3"),
    "success": ("1.5", "2"),
    "not_met": "17",
    "change": "+1.2",
    "last_validated": "30 Jun 2026",
    "doesnt": "2",
    "rate": ("60", "3", "5", "6", "1"),  # %, answered, answered of, asked, skipped
}
# The figures each surface must show (a surface that silently stops showing one fails too).
SHOWS = {
    "card": {"verdict", "fit", "margin", "n", "sales", "success", "not_met", "change", "last_validated"},
    "home (manager)": {
        "verdict",
        "fit",
        "margin",
        "n",
        "sales",
        "success",
        "not_met",
        "change",
        "last_validated",
        "rate",
    },
    "home (owner)": {"verdict", "fit", "margin", "n", "sales", "success", "not_met", "change", "last_validated"},
    "round summary": {"verdict", "fit", "margin", "n", "sales", "success", "not_met", "change", "doesnt", "rate"},
    "checkin status (CLI)": {"rate"},
    "/persona checkin status": {"rate"},
    "review digest": {"verdict", "fit", "margin", "n", "sales", "success", "change", "doesnt"},
    "report headline": {"rate"},
    "workbook Summary": {"verdict", "fit", "margin", "n", "sales", "success", "not_met", "change", "last_validated"},
    "workbook Attributes": {"doesnt"},
    "workbook Trend": {"fit"},
    "workbook Participation": {"rate"},
}

_FIT = r"(\d\.\d)/5 ± (\d\.\d) from (\d+) people"
_RATE = r"(\d+) % \((\d+) answered of (\d+): (\d+) asked − (\d+) skipped\)"


def figures_in(text: str) -> dict[str, Any]:
    """The figures a person reads in one piece of text about Mary (only those present)."""
    found: dict[str, Any] = {}
    if m := re.search(r"Fit " + _FIT, text):
        found["fit"], found["margin"], found["n"] = m.groups()
    for role, label in (("sales", "Sales"), ("success", "Customer success")):  # bot/labels.py's names
        if m := re.search(label + " " + _FIT, text):
            found[role] = (m.group(1), m.group(3))
    if m := re.search(r"haven't met (\d+) %", text):
        found["not_met"] = m.group(1)
    if m := re.search(r"([+-]\d\.\d) on 2026-Q3", text):
        found["change"] = m.group(1)
    if m := re.search(r"last validated (\d\d \w{3} \d{4})", text, re.IGNORECASE):
        found["last_validated"] = m.group(1)
    for verdict in ("contested", "validated", "needs review", "not enough data"):
        if re.search(rf"\b{verdict}\b", text):
            found["verdict"] = verdict
            break
    if m := re.search(r"(\d+) people said it doesn't match|(\d+) people of \d+", text):
        found["doesnt"] = m.group(1) or m.group(2)
    if m := re.search(_RATE, text):
        found["rate"] = m.groups()
    return found


def mrkdwn(blocks: Any) -> str:
    if isinstance(blocks, dict):
        own = [str(blocks["text"])] if isinstance(blocks.get("text"), str) and blocks.get("type") == "mrkdwn" else []
        return "\n".join(own + [mrkdwn(v) for v in blocks.values() if isinstance(v, dict | list)])
    if isinstance(blocks, list):
        return "\n".join(mrkdwn(v) for v in blocks)
    return ""


def mary_section(text: str) -> str:
    """Mary's own lines in a text that lists several personas."""
    start = text.index(f"*{MARY}*")
    rest = text[start + 1 :]
    ends = [i for i in (rest.find("\n*"), rest.find("\n• *"), rest.find("\n\n")) if i >= 0]
    return text[start : start + 1 + min(ends)] if ends else text[start:]


def total_line(text: str) -> str:
    return next(line for line in text.splitlines() if "All roles" in line)


def _one(value: float | None, fmt: str = "{:.1f}") -> str:
    assert value is not None
    return fmt.format(value)


def workbook_figures(data: bytes) -> dict[str, dict[str, Any]]:
    wb = openpyxl.load_workbook(io.BytesIO(data))

    def table(sheet: str, first: str) -> list[dict[str, Any]]:
        rows = list(wb[sheet].iter_rows(values_only=True))
        start = next(i for i, row in enumerate(rows) if row and row[0] == first)
        out = []
        for row in rows[start + 1 :]:
            if not row or row[0] is None:
                break
            out.append(dict(zip(rows[start], row, strict=False)))
        return out

    s = next(r for r in table("Summary", "Persona") if r["Persona"] == MARY)
    validated = s["Last validated"]
    summary = {
        "verdict": s["Verdict"],
        "fit": _one(s["Mean fit (1–5)"]),
        "margin": _one(s["± (90 % interval)"]),
        "n": str(s["People who rated (n)"]),
        "sales": (_one(s["Sales fit"]), str(s["Sales n"])),
        "success": (_one(s["Customer success fit"]), str(s["Customer success n"])),
        "not_met": str(round(s["Haven't met"] * 100)),
        "change": _one(s["Change"], "{:+.1f}"),
        "last_validated": validated.strftime("%d %b %Y") if isinstance(validated, datetime) else None,
    }
    attribute = next(r for r in table("Attributes", "Persona") if r["Persona"] == MARY and r["Role"] == "All roles")
    trend = next(
        r for r in table("Trend", "Persona: mean fit per quarter") if r["Persona: mean fit per quarter"] == MARY
    )
    total = next(r for r in table("Participation", "Role") if r["Role"] == "All roles")
    return {
        "workbook Summary": summary,
        "workbook Attributes": {"doesnt": str(attribute["Doesn't"])},
        "workbook Trend": {"fit": _one(trend[QUARTER])},
        "workbook Participation": {
            "rate": (
                str(round(total["Response rate"] * 100)),
                str(total["Answered"]),
                str(total["Asked"] - total["Skipped"]),
                str(total["Asked"]),
                str(total["Skipped"]),
            )
        },
    }


def database_url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def read_every_surface(engine: Engine, sessions: sessionmaker[Session], world: Truth) -> dict[str, dict[str, Any]]:
    settings = Settings(admins=frozenset())
    team = world.team_id
    seen: dict[str, dict[str, Any]] = {}

    card = LookupService(sessions, fresh_for=0, now=lambda: NOW).lookup(team, "mary").card
    assert card is not None
    seen["card"] = figures_in(mrkdwn(build_card(card)))

    homes = HomeService(sessions, settings)
    manager = mrkdwn(build_home(homes.build_for(team, MANAGER, NOW)))
    rate = next(line for line in manager.splitlines() if "response rate" in line)
    glance = manager[manager.index(rate) :]  # the manager's quarter at a glance, after their own feedback
    seen["home (manager)"] = {**figures_in(mary_section(glance)), **figures_in(rate)}
    owner = mrkdwn(build_home(homes.build_for(team, OWNER, NOW)))
    seen["home (owner)"] = figures_in(mary_section(owner))

    checkins = CheckinService(sessions, settings, clock=lambda: NOW)
    summary = checkins.summary(team, world.round_id)
    assert summary is not None
    summary_text = mrkdwn(build_summary(summary)["blocks"])
    seen["round summary"] = {**figures_in(mary_section(summary_text)), **figures_in(total_line(summary_text))}

    result = CliRunner().invoke(
        cli,
        ["checkin", "status", "--quarter", QUARTER],
        env={"DATABASE_URL": database_url(engine), "SLACK_TEAM_ID": team, "SLACK_BOT_TOKEN": "", "LOG_LEVEL": "ERROR"},
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    seen["checkin status (CLI)"] = figures_in(total_line(result.stdout))
    seen["/persona checkin status"] = figures_in(total_line(mrkdwn(build_status(checkins.status(team, QUARTER)))))

    request = next(r for r in ReviewService(sessions, settings).due_reviews(team, NOW) if r.name == MARY)
    seen["review digest"] = figures_in(mrkdwn(build_review_dm(request, settings.review_after_days)))

    report = ReportService(sessions, settings).build(team, QUARTER, now=NOW)
    seen["report headline"] = figures_in(report.headline)
    seen.update(workbook_figures(report.data))
    return seen


def disagreements(seen: dict[str, dict[str, Any]]) -> list[str]:
    """Every surface that shows a figure differently from the truth, or doesn't show one it should."""
    problems = []
    for surface, keys in SHOWS.items():
        found = seen.get(surface, {})
        for key in sorted(keys):
            if key not in found:
                problems.append(f"{surface}: no {key}")
            elif found[key] != TRUTH[key]:
                problems.append(f"{surface}: {key} {found[key]!r}, every other surface {TRUTH[key]!r}")
    return problems


@pytest.fixture
def world(sessions: sessionmaker[Session]) -> Iterator[Truth]:
    yield seed_truth(sessions)


def test_every_surface_prints_the_same_figures(engine: Engine, sessions: sessionmaker[Session], world: Truth) -> None:
    seen = read_every_surface(engine, sessions, world)
    assert disagreements(seen) == []


def test_a_surface_that_counts_records_is_caught(
    engine: Engine, sessions: sessionmaker[Session], world: Truth, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Home computes Mary's fit from every record (8 ratings, mean 3.0) instead of people's views: caught."""
    real = home_service.load_evidence

    def counting_records(session: Session, workspace_id: int, *args: Any, **kwargs: Any) -> Evidence:
        data = real(session, workspace_id, *args, **kwargs)
        n, total, squares = session.execute(
            select(func.count(Feedback.fit), func.sum(Feedback.fit), func.sum(Feedback.fit * Feedback.fit)).where(
                Feedback.workspace_id == workspace_id,
                Feedback.persona_id == world.mary,
                Feedback.created_at >= data.period.start_at,
                Feedback.created_at < data.period.end_at,
            )
        ).one()
        personas = tuple(
            replace(p, fit=Fit.of(int(n), float(total), float(squares))) if p.persona_id == world.mary else p
            for p in data.personas
        )
        return replace(data, personas=personas)

    monkeypatch.setattr(home_service, "load_evidence", counting_records)
    problems = disagreements(read_every_surface(engine, sessions, world))
    assert "home (manager): fit '3.0', every other surface '3.2'" in problems
    assert "home (owner): n '8', every other surface '5'" in problems
    assert all(p.startswith("home") for p in problems), problems


def test_with_anonymous_ratings_no_surface_shows_a_figure_for_fewer_than_three_people(
    sessions: sessionmaker[Session], world: Truth
) -> None:
    settings = Settings(anonymous_ratings=True)
    team = world.team_id
    card = LookupService(sessions, fresh_for=0, now=lambda: NOW, rules=settings.evidence_rules).lookup(team, "sid")
    assert card.card is not None
    manager = mrkdwn(build_home(HomeService(sessions, settings).build_for(team, MANAGER, NOW)))
    summary = CheckinService(sessions, settings, clock=lambda: NOW).summary(team, world.round_id)
    assert summary is not None
    summary_text = mrkdwn(build_summary(summary)["blocks"])
    request = next(r for r in ReviewService(sessions, settings).due_reviews(team, NOW) if r.name == MARY)
    digest = mrkdwn(build_review_dm(request, settings.review_after_days))
    for surface, text in (("home", manager), ("summary", summary_text), ("digest", digest)):
        if surface == "home":
            text = text[text.index("response rate") :]  # the manager's glance, not their own feedback
        mary = text if surface == "digest" else mary_section(text)
        assert "Customer success fewer than 3 people" in mary, surface
        assert "1.5/5" not in mary, f"{surface}: the two success people's mean is withheld"
        assert "Fit 3.2/5 ± 1.6 from 5 people" in mary and "Sales 4.3/5 ± 1.0 from 3 people" in mary, surface
    sid_card = mrkdwn(build_card(card.card))
    assert "Fit fewer than 3 people" in sid_card and "5.0/5" not in sid_card, "one rater: nothing to show"
    sid_summary = summary_text[summary_text.index("*Startup Sid*") :].splitlines()[0]
    assert "Fit fewer than 3 people" in sid_summary and "5.0/5" not in sid_summary
