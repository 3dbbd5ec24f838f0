"""Deal and campaign imports and the outcome figures, on SQLite and PostgreSQL (see tests/outcomes_seed.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from persona_store import outcomes
from persona_store.files import FileError
from persona_store.models import CampaignResult, Deal, Workspace
from persona_store.outcomes import ImportReport, RowsRejected
from persona_store.quarters import Period, parse_quarter
from tests.outcomes_seed import FIONA, MARY, OMAR, World, seed_world, write_campaigns, write_hubspot, write_salesforce

Q3 = Period.single(parse_quarter("2026-Q3"))


def run_import(
    sessions: sessionmaker[Session],
    world: World,
    source: Path | bytes | str,
    *,
    kind: outcomes.Kind = "deals",
    preset: str | None = None,
    mapping: dict[str, str] | None = None,
    skip_bad: bool = False,
) -> ImportReport:
    header, rows = outcomes.open_csv(source)
    columns = outcomes.resolve_columns(header, kind, preset, mapping)
    importer = outcomes.import_deals if kind == "deals" else outcomes.import_campaigns
    try:
        with sessions.begin() as s:
            return importer(s, world.workspace_id, rows, columns, skip_bad=skip_bad)
    except RowsRejected as rejected:
        return rejected.report
    finally:
        rows.close()


def deal_count(sessions: sessionmaker[Session], workspace_id: int) -> int:
    with sessions.begin() as s:
        return int(s.scalar(select(func.count()).select_from(Deal).where(Deal.workspace_id == workspace_id)) or 0)


@pytest.fixture
def world(sessions: sessionmaker[Session]) -> World:
    return seed_world(sessions)


@pytest.mark.parametrize("writer, preset", [(write_hubspot, "hubspot"), (write_salesforce, "salesforce")])
def test_each_presets_export_gives_the_same_figures(
    sessions: sessionmaker[Session], world: World, tmp_path: Path, writer: object, preset: str
) -> None:
    path = writer(tmp_path / "deals.csv")  # type: ignore[operator]
    report = run_import(sessions, world, path)
    assert report.preset == preset  # detected from the header
    assert (report.rows, report.written, report.new, report.updated) == (37, 37, 37, 0)
    assert [(u.label, u.rows, u.suggestions[:1]) for u in report.unmatched] == [("Procurement Pete", 2, ())]
    with sessions.begin() as s:
        data = outcomes.load_outcomes(s, world.workspace_id, Q3)
    mary = data.for_persona(world.personas[MARY])
    assert mary is not None
    d = mary.deals
    assert (d.won, d.lost, d.closed) == (2, 8, 10)
    assert d.win_rate == pytest.approx(0.20) and mary.previous.win_rate == pytest.approx(0.50)
    assert d.median_cycle_days == 40 and d.median_amount == 15000
    assert d.lost_reasons == (("Price", 4), ("Timing", 3), ("(no reason given)", 1))
    assert [(s.stage, s.lost, round(s.share, 3)) for s in d.drop_off] == [
        ("Evaluation", 5, 0.625),
        ("Proposal", 2, 0.25),
        ("(stage not recorded)", 1, 0.125),
    ]
    omar = data.for_persona(world.personas[OMAR])
    fiona = data.for_persona(world.personas[FIONA])
    assert omar is not None and fiona is not None
    assert omar.deals.median_cycle_days == 35 and fiona.deals.median_cycle_days == 25
    assert omar.deals.won_share == pytest.approx(6 / 14)  # Pete's unmatched won deal counts in the total
    assert (data.totals.won, data.totals.closed) == (14, 26)
    assert (data.unassigned.won, data.unassigned.lost) == (1, 1)
    assert fiona.deals.created == 6  # the 100-day deal was created in Q2
    assert data.win_rate(world.personas[MARY], "2026-Q2") == pytest.approx(0.5)


def test_reimporting_updates_by_deal_id_and_never_duplicates(
    sessions: sessionmaker[Session], world: World, tmp_path: Path
) -> None:
    path = write_hubspot(tmp_path / "deals.csv")
    run_import(sessions, world, path)
    text = path.read_text(encoding="utf-8").replace(
        "OPP-OPEN1,Deal OPP-OPEN1,Demo", "OPP-OPEN1,Deal OPP-OPEN1,Closed Won"
    )
    text = text.replace(",2026-08-01 09:30,,", ",2026-08-01 09:30,2026-09-01,")
    again = run_import(sessions, world, text)
    assert (again.written, again.new, again.updated) == (37, 0, 37)
    assert deal_count(sessions, world.workspace_id) == 37
    with sessions.begin() as s:
        deal = s.scalars(select(Deal).where(Deal.deal_key == "opp-open1")).one()
        assert (deal.outcome, deal.closed_quarter, deal.cycle_days) == ("won", "2026-Q3", 31)


def test_ids_differing_only_in_case_are_one_deal(sessions: sessionmaker[Session], world: World) -> None:
    report = run_import(sessions, world, f"deal_id,persona,outcome\nABC-1,{MARY},won\nabc-1,{MARY},lost\n")
    assert report.written == 1 and deal_count(sessions, world.workspace_id) == 1


def test_bad_rows_are_reported_by_line_and_nothing_is_written(
    sessions: sessionmaker[Session], world: World, tmp_path: Path
) -> None:
    rows = [f"OPP-{i},{MARY},closed won,1000,2026-07-0{1 + i % 8},2026-08-01" for i in range(3000)]
    rows[2500] = f"OPP-2500,{MARY},closed won,lots,2026-07-01,2026-08-01"  # line 2502, after the first batch
    rows[2600] = f"OPP-2600,{MARY},closed won,100,2026-13-45,2026-08-01"
    rows[2700] = f"OPP-2700,{MARY},closed won,100,2026-08-05,2026-08-01"
    text = "deal id,persona,stage,amount,created,closed\n" + "\n".join(rows) + "\n"
    report = run_import(sessions, world, text)
    assert not report.committed and report.problem_count == 3
    assert [p.sentence() for p in report.problems] == [
        "line 2502: amount “lots” isn't an amount (write it like 12500.00)",
        "line 2602: create date “2026-13-45” isn't a date (write it like 2026-03-31)",
        "line 2702: close date “2026-08-01” is before the create date 2026-08-05",
    ]
    assert deal_count(sessions, world.workspace_id) == 0  # the first batch was rolled back too

    skipped = run_import(sessions, world, text, skip_bad=True)
    assert skipped.committed and skipped.skipped_bad == 3 and skipped.written == 2997
    assert deal_count(sessions, world.workspace_id) == 2997


def test_unmatched_names_get_the_closest_personas_and_no_guess(sessions: sessionmaker[Session], world: World) -> None:
    text = (
        "deal_id,persona,outcome\n"
        f"D1,{MARY},won\n"
        "D2,marketing-director-mary,won\n"  # the key
        "D3,MARKETING DIRECTOR MARY,won\n"
        "D4,Marketing Director Marry,won\n"  # a typo
        "D5,Marketing Manager,won\n"  # too far: not a guess
        "D6,Director,lost\n"
        "D7,Director,lost\n"
        "D8,,lost\n"
    )
    report = run_import(sessions, world, text)
    assert report.committed and report.written == 8
    assert [(u.label, u.rows, u.first_line) for u in report.unmatched] == [
        ("Director", 2, 7),
        ("Marketing Manager", 1, 6),
    ]
    assert report.unmatched[1].suggestions[0] == MARY
    assert report.without_persona == 1
    with sessions.begin() as s:
        matched = {deal_id: pid for deal_id, pid in s.execute(select(Deal.deal_id, Deal.persona_id))}
    assert {k for k, v in matched.items() if v == world.personas[MARY]} == {"D1", "D2", "D3", "D4"}
    assert matched["D5"] is None and matched["D8"] is None


def test_a_map_file_reads_any_export(sessions: sessionmaker[Session], world: World, tmp_path: Path) -> None:
    text = (
        "Deal Number;Buyer Type;Result;Phase;Value;Opened;Decided;Why lost\n"
        f"X-1;{MARY};lost;Evaluation;1.200,50;2026-07-01;2026-08-01;Price\n"
        f"X-2;{MARY};won;Contract;2.000,00;2026-07-01;2026-07-31;\n"
    )
    mapping_file = tmp_path / "map.json"
    mapping_file.write_text(
        json.dumps(
            {
                "Deal Number": "deal_id",
                "Buyer Type": "persona",
                "Result": "outcome",
                "Phase": "stage",
                "Value": "amount",
                "Opened": "created",
                "Decided": "closed",
                "Why lost": "lost_reason",
            }
        ),
        encoding="utf-8",
    )
    report = run_import(sessions, world, text, mapping=outcomes.read_map_file(mapping_file))
    assert report.preset == "map" and report.written == 2
    with sessions.begin() as s:
        deals = {d.deal_id: d for d in s.scalars(select(Deal))}
    assert deals["X-1"].amount_cents == 120050 and deals["X-1"].lost_stage == "Evaluation"
    assert deals["X-2"].outcome == "won" and deals["X-2"].cycle_days == 30


def test_a_map_naming_missing_columns_or_fields_is_refused() -> None:
    with pytest.raises(FileError) as error:
        outcomes.resolve_columns(["Deal", "Who"], "deals", mapping={"Deal": "deal_id", "Whom": "persona"})
    assert "the map names the column “Whom”, which the file doesn't have" in str(error.value)
    with pytest.raises(FileError) as error:
        outcomes.resolve_columns(["Deal", "Who"], "deals", mapping={"Deal": "deal_id", "Who": "buyer"})
    assert "“buyer”, which isn't a field" in str(error.value)


def test_an_export_without_a_deal_id_or_persona_column_says_what_to_do() -> None:
    with pytest.raises(FileError) as error:
        outcomes.resolve_columns(["Deal Name", "Amount"], "deals")
    assert "can't find the deal id and persona columns" in str(error.value)
    assert "--preset hubspot|salesforce, or --map FILE" in str(error.value)


def test_campaigns_add_up_per_quarter_and_update_on_reimport(
    sessions: sessionmaker[Session], world: World, tmp_path: Path
) -> None:
    path = write_campaigns(tmp_path / "campaigns.csv")
    report = run_import(sessions, world, path, kind="campaigns")
    assert (report.written, report.new) == (2, 2)
    assert [u.label for u in report.unmatched] == ["Procurement Pete"]
    again = run_import(sessions, world, path, kind="campaigns")
    assert (again.written, again.new, again.updated) == (2, 0, 2)
    with sessions.begin() as s:
        assert s.scalar(select(func.count()).select_from(CampaignResult)) == 2
        data = outcomes.load_outcomes(s, world.workspace_id, Q3)
    mary = data.for_persona(world.personas[MARY])
    assert mary is not None
    assert (mary.campaigns.sent, mary.campaigns.converted) == (1000, 15)
    assert mary.campaigns.engagement == pytest.approx(0.08) and mary.previous_campaigns.engagement == pytest.approx(0.1)
    assert mary.campaigns.conversion == pytest.approx(0.015) and mary.previous_campaigns.conversion == pytest.approx(
        0.04
    )


def test_a_bad_campaign_row_is_reported(sessions: sessionmaker[Session], world: World) -> None:
    text = (
        f"campaign,persona,period,sent,opened,clicked,converted\nA,{MARY},2026-Q3,10,20,1,1\nB,{MARY},soon,10,1,1,1\n"
    )
    report = run_import(sessions, world, text, kind="campaigns")
    assert not report.committed
    assert [p.sentence() for p in report.problems] == [
        "line 2: sent “10” is smaller than opened, clicked or converted",
        "line 3: period “soon” isn't a quarter (2026-Q3), a month (2026-09) or a date",
    ]


def test_feedback_references_join_to_deals(sessions: sessionmaker[Session], world: World, tmp_path: Path) -> None:
    run_import(sessions, world, write_hubspot(tmp_path / "deals.csv"))
    with sessions.begin() as s:
        linked = outcomes.linked_feedback(s, world.workspace_id)
        data = outcomes.load_outcomes(s, world.workspace_id, Q3)
    assert sorted((link.deal_id, link.outcome, link.fit) for link in linked) == [
        ("OPP-ML0", "lost", 5),
        ("OPP-ML1", "lost", 5),
        ("OPP-ML3", "lost", 4),
        ("OPP-MW1", "won", 4),
        ("OPP-MW1", "won", 4),
        ("OPP-MW2", "won", 4),
    ]
    mary = data.for_persona(world.personas[MARY])
    assert mary is not None
    assert (mary.fit_on_deals.won_mean, mary.fit_on_deals.won_ratings) == (4.0, 3)
    assert mary.fit_on_deals.lost_mean == pytest.approx(14 / 3) and mary.fit_on_deals.lost_ratings == 3


def test_figures_are_scoped_to_the_workspace(sessions: sessionmaker[Session], world: World, tmp_path: Path) -> None:
    other = seed_world(sessions, team_id="T0OTHER")
    run_import(sessions, other, write_hubspot(tmp_path / "deals.csv"))
    with sessions.begin() as s:
        data = outcomes.load_outcomes(s, world.workspace_id, Q3)
        assert s.scalar(select(func.count()).select_from(Workspace)) == 2
    assert data.empty and data.totals.closed == 0 and data.linked == []


@pytest.mark.parametrize(
    "text, cents",
    [("12500", 1250000), ("12,500.00", 1250000), ("12.500,00", 1250000), ("$1,200", 120000), ("€ 1 200,5", 120050)],
)
def test_amounts(text: str, cents: int) -> None:
    assert outcomes.parse_amount(text) == cents


def test_dates() -> None:
    assert str(outcomes.parse_date("2026-03-31T10:00:00Z")) == "2026-03-31"
    assert str(outcomes.parse_date("03/31/2026")) == "2026-03-31"
    assert str(outcomes.parse_date("31/03/2026")) == "2026-03-31"
    assert str(outcomes.parse_date("31.03.2026")) == "2026-03-31"


def test_chunks_keep_the_last_row_of_a_deal_and_parse_each_date_text_on_its_own(
    sessions: sessionmaker[Session], world: World
) -> None:
    """Rows are checked a chunk at a time and dates cached by their text: neither may change what a row says."""
    rows = [f"OPP-{i},{MARY},closed won,{i},2026-07-01 09:{i % 60:02d},2026-08-01" for i in range(1200)]
    rows[1100] = f"opp-5,{MARY},closed lost,77,07/02/2026,08/03/2026"  # the same deal as line 7, in a later chunk
    rows[1101] = f"ÄRGER-1,{MARY},closed won,5,2026-07-01,2026-08-01"  # a key that isn't ASCII
    rows[1102] = f"ärger-1,{MARY},closed won,6,2026-07-02,2026-08-02"  # … the same deal
    rows[1103] = f"OPP-X,{MARY},closed won,1,07/02/2026x,2026-08-01"  # a known date's text with a tail: not a date
    text = "deal id,persona,stage,amount,created,closed\n" + "\n".join(rows) + "\n"
    report = run_import(sessions, world, text)
    assert [p.sentence() for p in report.problems] == [
        "line 1105: create date “07/02/2026x” isn't a date (write it like 2026-03-31)"
    ]
    report = run_import(sessions, world, text, skip_bad=True)
    assert report.committed and report.written == 1200 - 1 - 1 - 1  # opp-5 and ärger-1 once, OPP-X skipped
    assert deal_count(sessions, world.workspace_id) == report.written
    with sessions.begin() as s:
        five = s.scalars(select(Deal).where(Deal.deal_key == "opp-5")).one()
        assert (five.deal_id, five.outcome, five.amount_cents, str(five.created_on), five.cycle_days) == (
            "opp-5",
            "lost",
            7700,
            "2026-07-02",
            32,
        )
        assert (five.created_quarter, five.closed_quarter) == ("2026-Q3", "2026-Q3")
        arger = s.scalars(select(Deal).where(Deal.deal_key == "ärger-1")).one()
        assert (arger.deal_id, arger.amount_cents) == ("ärger-1", 600)
