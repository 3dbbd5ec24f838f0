"""Persona and roster files: parsing, every validation message, round trips. No database."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from persona_store.files import (
    KEY_PATTERN,
    FileError,
    build_persona_spec,
    dump_persona_file,
    parse_persona_file,
    persona_file_format,
    slugify,
)
from persona_store.persona_spec import PERSONA_FIELDS, PersonaSpec
from persona_store.roster_file import RosterEntry, parse_roster_csv

DEMO = Path(__file__).resolve().parents[2] / "bot" / "demo" / "data"

MARY = """\
personas:
  - name: Marketing Director Mary
    role: Marketing Director
    summary: Runs demand generation.
    goals: [Hit pipeline target, Prove campaign ROI]
    owner: U0OWNER1
"""


def refused(text: str, filename: str | None = None) -> FileError:
    with pytest.raises(FileError) as caught:
        parse_persona_file(text, filename=filename)
    return caught.value


# --- personas: the happy path --------------------------------------------------------------------------------


def test_a_minimal_file_gives_normalised_specs() -> None:
    [mary] = parse_persona_file(MARY)
    assert mary == PersonaSpec(
        name="Marketing Director Mary",
        key="marketing-director-mary",
        role="Marketing Director",
        summary="Runs demand generation.",
        goals=("Hit pipeline target", "Prove campaign ROI"),
        owner="U0OWNER1",
    )
    assert mary.status == "active"
    assert mary.team_roles == ()


def test_as_dict_follows_the_file_schema_order() -> None:
    [mary] = parse_persona_file(MARY)
    data = mary.as_dict()
    assert tuple(data) == PERSONA_FIELDS
    assert data["goals"] == ["Hit pipeline target", "Prove campaign ROI"]
    assert data["team_roles"] == []


def test_a_bare_list_is_accepted() -> None:
    specs = parse_persona_file("- name: Finance Fiona\n- name: IT Admin Ivan\n")
    assert [s.key for s in specs] == ["finance-fiona", "it-admin-ivan"]


def test_items_are_stripped_and_empty_ones_dropped() -> None:
    [spec] = parse_persona_file(
        "personas:\n  - name: '  Finance   Fiona '\n    goals: ['  a  ', '', '   ', null, b]\n    pain_points:\n"
    )
    assert spec.name == "Finance Fiona"
    assert spec.goals == ("a", "b")
    assert spec.pain_points == ()


def test_team_roles_status_and_owner_are_normalised() -> None:
    [spec] = parse_persona_file(
        "personas:\n  - name: Rick\n    team_roles: [Success, sales, sales]\n    status: Retired\n    owner: ''\n"
    )
    assert spec.team_roles == ("sales", "success")
    assert spec.status == "retired"
    assert spec.owner is None


def test_json_is_read_by_extension(tmp_path: Path) -> None:
    path = tmp_path / "personas.json"
    path.write_text(json.dumps({"personas": [{"name": "Finance Fiona", "goals": ["Flat spend"]}]}), encoding="utf-8")
    [spec] = parse_persona_file(path)
    assert spec.goals == ("Flat spend",)
    assert parse_persona_file(str(path)) == [spec]


def test_a_yaml_file_with_a_bom_is_read(tmp_path: Path) -> None:
    path = tmp_path / "personas.yml"
    path.write_bytes(b"\xef\xbb\xbf" + MARY.encode("utf-8"))
    assert parse_persona_file(path)[0].name == "Marketing Director Mary"


def test_unknown_extension_is_parsed_as_yaml_which_also_reads_json() -> None:
    text = json.dumps({"personas": [{"name": "Finance Fiona"}]})
    assert parse_persona_file(text, filename="upload.txt")[0].key == "finance-fiona"


def test_the_demo_personas_parse() -> None:
    specs = parse_persona_file(DEMO / "personas.yaml")
    assert [s.name for s in specs] == ["Marketing Director Mary", "Finance Fiona", "RevOps Rick", "IT Admin Ivan"]
    for spec in specs:
        for field in ("goals", "pain_points", "motivations", "objections", "channels", "evidence"):
            assert 3 <= len(getattr(spec, field)) <= 5, (spec.name, field)
        assert spec.owner in {"U0OWNER1", "U0OWNER2"}
    assert [s.team_roles for s in specs if s.team_roles] == [("sales", "success")]


# --- keys ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("Marketing Director Mary", "marketing-director-mary"),
        ("  RevOps   Rick!! ", "revops-rick"),
        ("Zoë Müller (CFO)", "zoe-muller-cfo"),
        ("IT/Admin — Ivan", "it-admin-ivan"),
    ],
)
def test_slugify(name: str, key: str) -> None:
    assert slugify(name) == key


def test_a_name_with_nothing_ascii_still_gets_a_stable_usable_key() -> None:
    key = slugify("市场总监")
    assert KEY_PATTERN.match(key)
    assert key == slugify("市场总监")
    assert key != slugify("财务总监")
    assert parse_persona_file("personas:\n  - name: 市场总监\n")[0].key == key


def test_a_long_name_gives_a_key_within_the_limit() -> None:
    key = slugify("word " * 30)
    assert KEY_PATTERN.match(key)
    assert not key.endswith("-")


def test_an_explicit_key_is_kept() -> None:
    [spec] = parse_persona_file("personas:\n  - name: Mary\n    key: mary-2\n")
    assert spec.key == "mary-2"


# --- personas: every refusal names the persona and the field -------------------------------------------------


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("- role: CFO", "persona 1 (no name): name is required"),
        ("- name: '   '", "persona 1 (no name): name is required"),
        ("- name: 42", "persona 1 (no name): name must be text, found a number"),
        (f"- name: {'N' * 151}", f"persona 1 ({'N' * 39}…): name is 151 characters long; the limit is 150"),
        ("- name: Mary\n  key: Bad Key", "persona 1 (Mary): key 'Bad Key' must be lowercase letters, digits and"),
        ("- name: Mary\n  key: -mary", "persona 1 (Mary): key '-mary' must be lowercase"),
        (f"- name: Mary\n  key: {'k' * 121}", "persona 1 (Mary): key 'kkkk"),
        ("- name: Mary\n  key: [a]", "persona 1 (Mary): key must be text, found a list"),
        ("- name: Mary\n  role: 7", "persona 1 (Mary): role must be text, found a number"),
        (f"- name: Mary\n  role: {'r' * 151}", "persona 1 (Mary): role is 151 characters long; the limit is 150"),
        (
            f"- name: Mary\n  summary: {'s' * 1001}",
            "persona 1 (Mary): summary is 1001 characters long; the limit is 1000",
        ),
        (
            "- name: Mary\n  goals: 42",
            "persona 1 (Mary): goals must be a list of short strings, found a number",
        ),
        ("- name: Mary\n  objections: {a: b}", "persona 1 (Mary): objections must be a list of short strings"),
        ("- name: Mary\n  channels: [LinkedIn, 3]", "persona 1 (Mary): channels item 2 must be text, found a number"),
        (
            "- name: Mary\n  evidence:\n    - 'Trend: up'\n    - CRM trend: deals stall",
            "persona 1 (Mary): evidence item 2 must be text, found a set of fields (put text containing ': ' in",
        ),
        (
            f"- name: Mary\n  pain_points: [ok, {'p' * 301}]",
            "persona 1 (Mary): pain_points item 2 is 301 characters long; the limit is 300",
        ),
        ("- name: Mary\n  status: archived", "persona 1 (Mary): status 'archived' must be one of active, retired"),
        ("- name: Mary\n  owner: bob", "persona 1 (Mary): owner 'bob' is not a Slack user id like U0123ABCD"),
        ("- name: Mary\n  owner: u0123abcd", "persona 1 (Mary): owner 'u0123abcd' is not a Slack user id"),
        (
            "- name: Mary\n  team_roles: [sales, engineering]",
            "persona 1 (Mary): team_roles 'engineering' not one of sales, success, onboarding, marketing",
        ),
        ("- name: Mary\n  team_roles: {sales: 1}", "persona 1 (Mary): team_roles must be a list of short strings"),
        (
            "- name: Mary\n  goal: [x]",
            "persona 1 (Mary): unknown field 'goal' (did you mean 'goals'?); allowed fields are name, key, role,",
        ),
        ("- name: Mary\n  colour: red", "persona 1 (Mary): unknown field 'colour'; allowed fields are name, key"),
        ("- just a string", "persona 1: expected a set of fields like 'name: …', found text"),
    ],
)
def test_each_field_problem_names_the_persona_and_field(body: str, message: str) -> None:
    error = refused(body)
    assert str(error).startswith(message)
    assert "\n" not in str(error)


def test_the_persona_is_named_by_its_position() -> None:
    error = refused("- name: Mary\n- name: Fiona\n  goals: 7\n")
    assert str(error) == "persona 2 (Fiona): goals must be a list of short strings, found a number"


def test_duplicate_names_are_compared_case_and_space_insensitively() -> None:
    error = refused("- name: Finance Fiona\n  key: a\n- name: ' finance   FIONA'\n  key: b\n")
    assert str(error) == "persona 2 (finance FIONA): name 'finance FIONA' is already used by persona 1"


def test_duplicate_explicit_keys() -> None:
    error = refused("- name: Mary\n  key: m\n- name: Max\n  key: m\n")
    assert str(error) == "persona 2 (Max): key 'm' is already used by persona 1"


def test_duplicate_derived_keys_suggest_setting_one() -> None:
    error = refused("- name: Mary!\n- name: Mary?\n")
    assert str(error) == (
        "persona 2 (Mary?): key 'mary' is already used by persona 1 (derived from the name; set a different 'key')"
    )


def test_several_problems_are_all_listed_and_summarised() -> None:
    error = refused("- name: Mary\n  goals: 1\n  status: gone\n- role: CFO\n")
    assert error.problems == [
        "persona 1 (Mary): goals must be a list of short strings, found a number",
        "persona 1 (Mary): status 'gone' must be one of active, retired",
        "persona 2 (no name): name is required",
    ]
    assert str(error) == "persona 1 (Mary): goals must be a list of short strings, found a number (and 2 more problems)"


def test_one_problem_has_no_summary_suffix() -> None:
    error = refused("- role: CFO\n")
    assert error.problems == [str(error)]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the persona file is empty"),
        ("   \n\n", "the persona file is empty"),
        ("hello", "'personas' must be a list of personas"),
        ("people: []", "the file needs a top-level 'personas:' list and nothing else (found 'people')"),
        ("personas: []\nextra: 1", "the file needs a top-level 'personas:' list and nothing else (found 'extra')"),
        ("personas: {name: Mary}", "'personas' must be a list of personas"),
    ],
)
def test_file_shape_problems(text: str, message: str) -> None:
    assert str(refused(text)).startswith(message)


def test_an_empty_personas_list_is_fine() -> None:
    assert parse_persona_file("personas: []\n") == []
    assert parse_persona_file("personas:\n") == []


def test_malformed_yaml_gives_the_line() -> None:
    error = refused("personas:\n  - name: Mary\n    goals: [a, b\n  - name: Fiona\n")
    assert str(error).startswith("invalid YAML at line 4")


def test_yaml_with_a_field_twice_is_refused_with_its_line() -> None:
    error = refused("personas:\n  - name: Mary\n    goals: [a]\n    goals: [b]\n")
    assert str(error) == "invalid YAML at line 4, column 5: the field 'goals' appears twice in one mapping"


def test_malformed_json_gives_the_line() -> None:
    error = refused('{\n  "personas": [\n    {"name": "Mary",}\n  ]\n}\n', filename="p.json")
    assert str(error).startswith("invalid JSON at line 3, column")


def test_json_with_a_field_twice_is_refused() -> None:
    error = refused('{"personas": [{"name": "Mary", "name": "Max"}]}', filename="p.json")
    assert str(error) == "invalid JSON: the field 'name' appears twice in one object"


def test_a_file_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_bytes(b"personas:\n  - name: Mar\xff\n")
    with pytest.raises(FileError, match=r"p\.yaml is not UTF-8 text"):
        parse_persona_file(path)


def test_build_persona_spec_reports_problems_by_field_for_forms() -> None:
    with pytest.raises(FileError) as caught:
        build_persona_spec({"name": "", "goals": 3}, label="the form")
    assert caught.value.field_problems == {
        "name": "name is required",
        "goals": "goals must be a list of short strings, found a number",
    }


# --- round trips ---------------------------------------------------------------------------------------------

TRICKY = PersonaSpec(
    name="Zoë Müller",
    key="zoe-muller",
    role="VP: Growth & Ops",
    summary="Says “yes” a lot.\nSecond line? # not a comment",
    goals=("yes", "null", "1.0", "- dash", "key: value", "'quoted'", "ünïcödé ✓"),
    pain_points=("true",),
    motivations=(),
    objections=("@at", "%percent", "{brace}"),
    channels=("LinkedIn",),
    evidence=("x" * 300,),
    owner="W0ABC",
    status="retired",
    team_roles=("sales", "marketing"),
)


@pytest.mark.parametrize("fmt", ["yaml", "json"])
def test_dump_then_parse_gives_the_same_specs(fmt: str) -> None:
    specs = [*parse_persona_file(DEMO / "personas.yaml"), TRICKY, PersonaSpec(name="Bare", key="bare")]
    text = dump_persona_file(specs, fmt=fmt)  # type: ignore[arg-type]  # parametrized literal
    assert parse_persona_file(text, filename=f"out.{fmt}") == specs


def test_yaml_dump_is_readable() -> None:
    text = dump_persona_file([TRICKY, PersonaSpec(name="Bare", key="bare")])
    assert text.startswith("personas:\n  - name: Zoë Müller\n    key: zoe-muller\n    role: 'VP: Growth & Ops'\n")
    assert "      - ünïcödé ✓\n" in text
    bare = text[text.index("  - name: Bare") :].splitlines()
    assert bare == [
        "  - name: Bare",
        "    key: bare",
        "    role: ''",
        "    summary: ''",
        *(
            f"    {field}: []"
            for field in ("goals", "pain_points", "motivations", "objections", "channels", "evidence")
        ),
        "    status: active",
    ]


def test_unknown_dump_format() -> None:
    with pytest.raises(ValueError, match="unknown persona file format"):
        dump_persona_file([], fmt="toml")  # type: ignore[arg-type]  # deliberately wrong


def test_persona_file_format_by_extension() -> None:
    assert persona_file_format("out.JSON") == "json"
    assert persona_file_format("out.yml") == "yaml"
    assert persona_file_format("dir/out.yaml") == "yaml"
    with pytest.raises(FileError, match="persona files end in"):
        persona_file_format("out.csv")


# --- roster --------------------------------------------------------------------------------------------------

ROSTER = """\
slack_user_id,name,role,manager,timezone
U0AAA,Alex Rivera,sales,true,America/New_York
U0BBB,Jonas Weber,Success,no,Europe/Berlin
U0CCC,Yuki Tanaka,onboarding,,
"""


def roster_refused(text: str) -> FileError:
    with pytest.raises(FileError) as caught:
        parse_roster_csv(text)
    return caught.value


def test_a_roster_parses() -> None:
    assert parse_roster_csv(ROSTER) == [
        RosterEntry("U0AAA", "Alex Rivera", "sales", True, "America/New_York"),
        RosterEntry("U0BBB", "Jonas Weber", "success", False, "Europe/Berlin"),
        RosterEntry("U0CCC", "Yuki Tanaka", "onboarding", False, None),
    ]


def test_the_demo_roster_parses() -> None:
    entries = parse_roster_csv(DEMO / "roster.csv")
    assert len(entries) == 6
    assert sum(e.is_manager for e in entries) == 2
    assert {e.role for e in entries} == {"sales", "success", "onboarding", "marketing"}
    assert {e.timezone for e in entries} == {
        "America/New_York",
        "Europe/Berlin",
        "Asia/Tokyo",
        "Pacific/Auckland",
        "America/Los_Angeles",
        None,
    }


def test_header_in_any_order_with_spaces_and_a_bom(tmp_path: Path) -> None:
    path = tmp_path / "roster.csv"
    text = " Timezone , manager,ROLE ,name , slack_user_id\r\nEurope/Berlin,YES,marketing,Jonas Weber,W0JONAS\r\n"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    assert parse_roster_csv(path) == [RosterEntry("W0JONAS", "Jonas Weber", "marketing", True, "Europe/Berlin")]
    assert parse_roster_csv("\ufeff" + text)[0].slack_user_id == "W0JONAS"


@pytest.mark.parametrize(
    ("value", "expected"), [("true", True), ("Yes", True), ("1", True), ("FALSE", False), ("no", False), ("0", False)]
)
def test_manager_values(value: str, expected: bool) -> None:
    [entry] = parse_roster_csv(f"slack_user_id,name,role,manager,timezone\nU0AAA,A,sales,{value},\n")
    assert entry.is_manager is expected


def test_blank_lines_are_skipped_and_quoted_fields_work() -> None:
    text = 'slack_user_id,name,role,manager,timezone\n\nU0AAA,"Rivera, Alex",sales,false,UTC\n\n'
    assert parse_roster_csv(text) == [RosterEntry("U0AAA", "Rivera, Alex", "sales", False, "UTC")]


HEADER = "slack_user_id,name,role,manager,timezone\n"


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ("U0AAA,A,sales,true,UTC\nU0BBB,B,x,true,UTC\nU0CCC,C,salse,false,UTC\n",
         "line 4: role 'salse' is not one of sales, success, onboarding, marketing"),
        ("U0AAA,A,sales,maybe,UTC\n", "line 2: manager 'maybe' must be true or false"),
        ("U0AAA,A,sales,true,Mars/Olympus\n",
         "line 2: timezone 'Mars/Olympus' is not an IANA time zone like Europe/Berlin (or leave it empty)"),
        ("U0AAA,A,sales,true,../etc/passwd\n", "line 2: timezone '../etc/passwd' is not an IANA time zone"),
        ("alex,A,sales,true,UTC\n", "line 2: slack_user_id 'alex' is not a Slack user id like U0123ABCD"),
        (",A,sales,true,UTC\n", "line 2: slack_user_id is empty"),
        ("U0AAA,,sales,true,UTC\n", "line 2: name is empty"),
        ("U0AAA,A,sales,true,UTC\nU0AAA,B,sales,true,UTC\n", "line 3: slack_user_id U0AAA is already on line 2"),
        ("U0AAA,A,sales,true\n", "line 2: expected 5 values, found 4"),
        ("U0AAA,A,sales,true,UTC,extra\n", "line 2: expected 5 values, found 6"),
    ],
)  # fmt: skip
def test_each_roster_problem_names_the_line_and_field(rows: str, message: str) -> None:
    error = roster_refused(HEADER + rows)
    assert any(problem.startswith(message) for problem in error.problems), error.problems
    if len(error.problems) == 1:
        assert str(error).startswith(message)


def test_roster_line_numbers_count_blank_lines() -> None:
    error = roster_refused(HEADER + "\nU0AAA,A,sales,true,UTC\n\nU0BBB,B,sals,true,UTC\n")
    assert str(error) == "line 5: role 'sals' is not one of sales, success, onboarding, marketing"


def test_every_bad_roster_line_is_reported() -> None:
    error = roster_refused(HEADER + "U0AAA,A,x,true,UTC\nbad,B,sales,true,UTC\n")
    assert error.problems == [
        "line 2: role 'x' is not one of sales, success, onboarding, marketing",
        "line 3: slack_user_id 'bad' is not a Slack user id like U0123ABCD",
    ]
    assert str(error).endswith("(and 1 more problem)")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the roster file is empty; it needs the header slack_user_id,name,role,manager,timezone"),
        ("\n\n", "the roster file is empty"),
        ("slack_user_id,name,role,timezone\nU0AAA,A,sales,UTC\n", "line 1: the header is missing manager"),
        ("U0AAA,A,sales,true,UTC\n", "line 1: the header is missing slack_user_id, name, role, manager, timezone"),
        (HEADER.strip() + ",email\n", "line 1: unknown column 'email'"),
        ("slack_user_id,name,role,manager,timezone,name\n", "line 1: column name appears twice"),
        (HEADER, "the roster file has a header but no reps"),
    ],
)
def test_roster_file_shape_problems(text: str, message: str) -> None:
    error = roster_refused(text)
    assert str(error).startswith(message)
