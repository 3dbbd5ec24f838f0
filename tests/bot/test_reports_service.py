"""The managers' workbook, built by ReportService from the hand-checked world and read back with openpyxl."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import datetime
from typing import Any

import openpyxl
import pytest
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy.orm import Session, sessionmaker

from bot.config import Settings
from bot.report.cells import MAX_CELL_CHARS, clean_text, naive_utc
from bot.report.workbook import SHEETS
from bot.services.reports import Report, ReportService
from persona_store.quarters import QuarterError
from tests.reports_seed import (
    HOSTILE_EVIDENCE,
    HOSTILE_MISSING,
    HOSTILE_OBJECTION,
    MANAGER,
    NOW,
    Seeded,
    seed_world,
)


@pytest.fixture
def world(sessions: sessionmaker[Session]) -> Seeded:
    return seed_world(sessions)


def build(sessions: sessionmaker[Session], period: str | None = "2026-Q3", **settings: Any) -> Report:
    service = ReportService(sessions, Settings().with_overrides(**settings))
    return service.build("T0REPORT", period, now=NOW)


def table(ws: Worksheet, first_header: str) -> tuple[int, list[dict[str, Any]]]:
    """(header row number, rows as dicts) for the table whose header starts with `first_header`."""
    rows = list(ws.iter_rows(values_only=True))
    start = next(i for i, row in enumerate(rows) if row and row[0] == first_header)
    headers = rows[start]
    found = []
    for row in rows[start + 1 :]:
        if not row or row[0] is None:
            break
        found.append(dict(zip(headers, row, strict=False)))
    return start + 1, found


def workbook(report: Report) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(report.data))


def test_headline_and_file_name(sessions: sessionmaker[Session], world: Seeded) -> None:
    report = build(sessions)
    assert not report.empty
    # The old headline said 40 % (answered ÷ assigned); the one formula is answered ÷ (asked − skipped) = 2 ÷ 4.
    assert report.headline == (
        "4 personas: 1 validated, 1 contested, 1 needs review, 1 not enough data; "
        "response rate 50 % (2 answered of 4: 5 asked − 1 skipped) · 1 unreachable, 1 silent"
    )
    assert report.filename == "persona-report-2026-Q3.xlsx"
    assert workbook(report).sheetnames == list(SHEETS)


def test_summary_sheet(sessions: sessionmaker[Session], world: Seeded) -> None:
    ws = workbook(build(sessions))["Summary"]
    assert ws["A1"].value == "Persona report 2026-Q3"
    top = " ".join(str(ws.cell(row=r, column=1).value) for r in range(1, 16))
    assert "UTC" in top and "not enough data when fewer than 3 people rated" in top
    assert "validated when the mean fit is 4.0 or more" in top
    # The rules a manager needs, in words: one person one vote, the response rate, the uncertainty, the minimum group.
    assert "One person, one vote" in top and "Response rate = answered ÷ (asked − skipped)" in top
    assert "90 % interval" in top and "Minimum group" in top
    header_row, rows = table(ws, "Persona")
    assert ws.freeze_panes == f"B{header_row + 1}"
    p = {r["Persona"]: r for r in rows}
    assert [r["Persona"] for r in rows] == ["Charlie", "Bravo", "Delta", "Alpha"], "worst first, Home's order"
    alpha = p["Alpha"]
    assert alpha["Verdict"] == "validated"
    assert (alpha["People"], alpha["Sales n"], alpha["Customer success n"]) == (4, 2, 1)
    assert alpha["Onboarding n"] == 1 and alpha["People who rated (n)"] == 4
    assert alpha["± (90 % interval)"] == pytest.approx(2.353 * (1 / 3) ** 0.5 / 2, abs=1e-3)
    assert alpha["Mean fit (1–5)"] == pytest.approx(4.5)
    assert (alpha["Sales fit"], alpha["Customer success fit"], alpha["Onboarding fit"]) == (4.5, 4.0, 5.0)
    assert alpha["Previous mean (2026-Q2)"] == pytest.approx(3.0)
    assert alpha["Change"] == pytest.approx(1.5)
    assert alpha["Statement agreement"] == pytest.approx(0.875)
    assert alpha["Roles disagree"] is None and alpha["Review due"] is None
    assert alpha["Last reviewed (UTC)"] == datetime(2026, 9, 1)
    assert alpha["Last validated"] == datetime(2026, 9, 30), "Q3 was validated: its last day"
    assert p["Bravo"]["Verdict"] == "contested" and p["Bravo"]["Roles disagree"] == "yes"
    assert p["Bravo"]["Role gap"] == pytest.approx(2.5)
    assert p["Charlie"]["Verdict"] == "needs review" and p["Charlie"]["Haven't met"] == pytest.approx(0.25)
    assert p["Delta"]["Verdict"] == "not enough data" and p["Delta"]["Review due"] == "due"
    # Number formats a manager sees.
    alpha_row = header_row + 1 + [r["Persona"] for r in rows].index("Alpha")
    mean_col = next(c for c in ws[header_row] if c.value == "Mean fit (1–5)").column
    assert ws.cell(row=alpha_row, column=mean_col).number_format == "0.00"
    change_col = next(c for c in ws[header_row] if c.value == "Change").column
    assert ws.cell(row=alpha_row, column=change_col).number_format.startswith("+0.00")
    assert ws.column_dimensions["A"].width >= 20
    charts = ws._charts
    assert len(charts) == 1 and charts[0].tagname == "barChart"
    assert len(charts[0].series) == 4, "an overall bar, then one bar per role: sales, success, onboarding"


def test_attributes_sheet(sessions: sessionmaker[Session], world: Seeded) -> None:
    ws = workbook(build(sessions))["Attributes"]
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref == "A1:I7"
    _, rows = table(ws, "Persona")
    alpha = [r for r in rows if r["Persona"] == "Alpha"]
    assert [r["Role"] for r in alpha] == ["All roles", "Sales", "Customer success", "Onboarding"]
    assert alpha[0]["Statement"] == "Too many tools" and alpha[0]["Kind"] == "Pain point"
    assert (alpha[0]["Matches"], alpha[0]["Partly"], alpha[0]["Doesn't"], alpha[0]["Not seen"]) == (3, 1, 0, 0)
    assert alpha[0]["Agreement"] == pytest.approx(0.875)
    assert next(r for r in alpha if r["Role"] == "Customer success")["Agreement"] == pytest.approx(0.5)
    bravo = next(r for r in rows if r["Persona"] == "Bravo" and r["Role"] == "All roles")
    assert (bravo["Doesn't"], bravo["Not seen"], bravo["Agreement"]) == (1, 1, 0)


def test_trend_sheet(sessions: sessionmaker[Session], world: Seeded) -> None:
    ws = workbook(build(sessions))["Trend"]
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0] == ("Persona: mean fit per quarter", "2026-Q2", "2026-Q3")
    values = {row[0]: row[1:] for row in rows[1:5]}
    assert values["Alpha"] == (3, 4.5)
    assert values["Bravo"] == (None, 3.75)
    assert len(ws._charts) == 1 and ws._charts[0].tagname == "lineChart"
    assert len(ws._charts[0].series) == 5, "one line per persona, and the validated line"


def test_comments_sheet_keeps_hostile_text_as_text(sessions: sessionmaker[Session], world: Seeded) -> None:
    report = build(sessions)
    ws = workbook(report)["Comments"]
    _, rows = table(ws, "Date (UTC)")
    assert len(rows) == 5
    texts = [r["Comment"] for r in rows]
    assert HOSTILE_MISSING in texts and HOSTILE_OBJECTION in texts and HOSTILE_EVIDENCE in texts
    assert "bell and escape" in texts, "control characters are stripped"
    long = next(t for t in texts if t.startswith("xxx"))
    assert len(long) == MAX_CELL_CHARS
    first = rows[0]
    assert (first["Persona"], first["Role"], first["Author"], first["Kind"]) == (
        "Charlie",
        "Sales",
        "Sam Sales (U0SALES1)",
        "What's missing",
    )
    assert first["Date (UTC)"] == datetime(2026, 8, 14, 15, 45)
    evidence = next(r for r in rows if r["Kind"] == "Evidence")
    assert evidence["Link"] == "https://x.slack.com/p1"
    for row in ws.iter_rows(min_row=2):
        comment = row[6]
        assert comment.data_type == "s"
        if str(comment.value).startswith(("=", "+", "-", "@")):
            assert comment.quotePrefix
    # Not one formula anywhere in the file.
    with zipfile.ZipFile(io.BytesIO(report.data)) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/"):
                assert not re.search(rb"<f[ >]", archive.read(name)), name


def test_responses_sheet(sessions: sessionmaker[Session], world: Seeded) -> None:
    ws = workbook(build(sessions))["Responses"]
    assert ws.freeze_panes == "C2"
    assert ws.auto_filter.ref == "A1:U14"
    _, rows = table(ws, "ID")
    assert len(rows) == 13
    late = next(r for r in rows if r["Role"] == "Onboarding" and r["Persona"] == "Alpha")
    assert late["Quarter"] == "2026-Q3" and late["Created (UTC)"] == datetime(2026, 10, 2, 8, 0)
    assert late["Source"] == "Check-in" and late["Fit (1–5)"] == 5 and late["Matches"] == 1
    assert late["Author"] == "Olga Onboarding" and late["Author ID"] == "U0ONB1"
    not_met = next(r for r in rows if r["Haven't met"] == "yes")
    assert not_met["Fit (1–5)"] is None and not_met["Persona"] == "Charlie"
    hostile = next(r for r in rows if r["What's missing"] == HOSTILE_MISSING)
    assert hostile["Objections heard"] == HOSTILE_OBJECTION
    assert ws.cell(row=2, column=2).number_format == "yyyy-mm-dd hh:mm"


def test_participation_sheet(sessions: sessionmaker[Session], world: Seeded) -> None:
    ws = workbook(build(sessions))["Participation"]
    _, reps = table(ws, "Rep")
    by_id = {r["Slack ID"]: r for r in reps}
    assert len(by_id) == 5
    assert (by_id["U0SALES1"]["Assigned"], by_id["U0SALES1"]["Sent"], by_id["U0SALES1"]["Answered"]) == (1, 1, 1)
    assert by_id["U0SUCC1"]["Skipped"] == 1 and by_id["U0SUCC1"]["Skip reason"] == "no customer contact"
    assert by_id["U0ONB1"]["Reminders"] == 2 and by_id["U0ONB1"]["Answered"] == 0
    assert by_id["U0SUCC2"]["Unreachable"] == 1 and by_id["U0SUCC2"]["Unreachable reason"] == "user disabled"
    _, roles = table(ws, "Role")
    rates = {r["Role"]: r["Response rate"] for r in roles}
    # answered ÷ (asked − skipped): the old sheet said 2 ÷ 5 = 40 % for all roles.
    assert rates == {"Onboarding": 0, "Sales": 1, "Customer success": 0, "All roles": pytest.approx(0.5)}


def test_anonymous_ratings_hide_who_rated_what(sessions: sessionmaker[Session], world: Seeded) -> None:
    wb = workbook(build(sessions, anonymous_ratings=True))
    _, responses = table(wb["Responses"], "ID")
    assert {r["Author"] for r in responses} == {"anonymous"}
    assert {r["Author ID"] for r in responses} == {"anonymous"}
    assert all(r["What's missing"] is None and r["Objections heard"] is None for r in responses)
    _, comments = table(wb["Comments"], "Date (UTC)")
    assert "Sam Sales (U0SALES1)" in {c["Author"] for c in comments}, "people are told their words stay attributed"
    assert {c["Date (UTC)"] for c in comments} == {datetime(2026, 8, 14)}, "the day only: no timing onto a rating"
    assert "Ratings are anonymous" in str(wb["Summary"]["A2"].value)
    assert {r["Date (UTC)"].time() for r in responses} == {datetime.min.time()}, "the day without the time"
    assert {r["Role"] for r in responses} == {"withheld"}, "every role group here is smaller than 3 people"
    _, summary = table(wb["Summary"], "Persona")
    alpha = next(r for r in summary if r["Persona"] == "Alpha")
    assert alpha["Mean fit (1–5)"] == pytest.approx(4.5), "4 people: shown"
    assert alpha["Sales fit"] == "fewer than 3 people" and alpha["Sales n"] == "fewer than 3"


def test_a_quarter_range(sessions: sessionmaker[Session], world: Seeded) -> None:
    report = build(sessions, "2026-Q2..2026-Q3")
    assert report.filename == "persona-report-2026-Q2_to_2026-Q3.xlsx"
    wb = workbook(report)
    assert wb["Summary"]["A1"].value == "Persona report 2026-Q2..2026-Q3"
    _, rows = table(wb["Summary"], "Persona")
    alpha = next(r for r in rows if r["Persona"] == "Alpha")
    assert alpha["People who rated (n)"] == 4, "two reps rated in both quarters: once each (records said 6)"
    assert "Previous mean (2025-Q4..2026-Q1)" in alpha
    assert len(table(wb["Responses"], "ID")[1]) == 15


def test_an_empty_quarter_gives_a_message_not_a_file(sessions: sessionmaker[Session], world: Seeded) -> None:
    report = build(sessions, "2025-Q1")
    assert report.empty and report.data == b""
    assert "nothing to report for 2025-Q1" in report.headline
    assert "2026-Q3" in report.headline, "it points at the latest quarter that has data"


def test_default_is_the_latest_quarter_and_progress_is_reported(sessions: sessionmaker[Session], world: Seeded) -> None:
    calls: list[tuple[int, int]] = []
    report = ReportService(sessions, Settings()).build("T0REPORT", now=NOW, progress=lambda d, t: calls.append((d, t)))
    assert report.period.label == "2026-Q3"
    assert calls[-1] == (13, 13)


def test_who_may_ask(sessions: sessionmaker[Session], world: Seeded) -> None:
    service = ReportService(sessions, Settings().with_overrides(admins=frozenset({"U0ADMIN"})))
    assert service.may_request("T0REPORT", MANAGER)
    assert service.may_request("T0REPORT", "U0ADMIN")
    assert not service.may_request("T0REPORT", "U0SALES2")
    assert not service.may_request("T0REPORT", "U0STRANGER")


def test_a_bad_quarter_is_a_friendly_error(sessions: sessionmaker[Session], world: Seeded) -> None:
    with pytest.raises(QuarterError, match="write it like 2026-Q4"):
        build(sessions, "next quarter")


def test_cell_hygiene_helpers() -> None:
    assert clean_text("a\x00b\x1fc") == "abc"
    assert len(clean_text("y" * 50_000)) == MAX_CELL_CHARS
    assert naive_utc(NOW).tzinfo is None and naive_utc(NOW).hour == 12


def test_coverage_sheet_counts_views_per_statement_and_role_from_the_evidence_model(
    sessions: sessionmaker[Session], world: Seeded
) -> None:
    report = build(sessions)
    _, rows = table(workbook(report)["Coverage"], "Persona")
    assert rows, "every statement of every active persona has a row"
    by_statement = {(r["Persona"], r["Statement"]): r for r in rows}
    for persona in report.evidence.active:
        for st in persona.statements:
            if not st.current:
                continue
            row = by_statement[(persona.name, st.text)]
            assert row["Views"] == st.counts.total, "the evidence model's own count"
    for row in rows:
        below = [role for role in ("Sales", "Customer success", "Onboarding", "Marketing") if row.get(role) != "–"]
        if row["Views"] == 0:
            assert row["Roles below the minimum"] != "none" and below
