"""Persona documents as teams keep them: Markdown and CSV read into the same personas a YAML file gives."""

from __future__ import annotations

from pathlib import Path

import pytest

from persona_store.files import FileError, dump_persona_file, parse_persona_file
from persona_store.persona_spec import PersonaSpec

DEMO = Path(__file__).resolve().parents[2] / "bot" / "demo" / "data" / "personas.yaml"

MARKDOWN = """\
# Our customer personas

Written by the product marketing team; reviewed every quarter.

## Marketing Director Mary

Leads a six-person marketing team
at a 200-employee B2B software company.

**Role:** Marketing Director
- **Owner:** U0OWNER1
**Team roles**: sales, success

### Goals
- Hit the pipeline target
- Prove which campaigns
  turn into revenue
* Launch without engineering

### Pain Points
1. Attribution breaks
2) Leads are "bad"

**Evidence:**
- 14 discovery calls (2025 Q3)
- CRM trend: deals stall at evaluation

## Finance Fiona
**Summary:** Signs off on every tool purchase.
**Objections:** Too expensive; Another migration
"""


def test_markdown_headings_bold_labels_and_bullets_become_fields() -> None:
    mary, fiona = parse_persona_file(MARKDOWN, filename="personas.md")
    assert mary == PersonaSpec(
        name="Marketing Director Mary",
        key="marketing-director-mary",
        role="Marketing Director",
        summary="Leads a six-person marketing team at a 200-employee B2B software company.",
        goals=("Hit the pipeline target", "Prove which campaigns turn into revenue", "Launch without engineering"),
        pain_points=("Attribution breaks", 'Leads are "bad"'),
        evidence=("14 discovery calls (2025 Q3)", "CRM trend: deals stall at evaluation"),
        owner="U0OWNER1",
        team_roles=("sales", "success"),
    )
    assert fiona.summary == "Signs off on every tool purchase."
    assert fiona.objections == ("Too expensive", "Another migration")


def test_one_persona_per_document_with_field_headings_under_it() -> None:
    (spec,) = parse_persona_file("# Ops Olga\n\n## Goals\n- Fewer tools\n\n## Channels\n- Podcasts\n", filename="o.md")
    assert (spec.name, spec.goals, spec.channels) == ("Ops Olga", ("Fewer tools",), ("Podcasts",))


def test_the_markdown_export_reads_back_to_the_same_personas() -> None:
    specs = parse_persona_file(DEMO)
    tricky = PersonaSpec(
        name="Edge & <Case>",
        key="edge",
        summary="Line one.\nLine two: with a colon",
        goals=("Uses **bold** words", "50% of #deals; really"),
        team_roles=("onboarding",),
        status="retired",
    )
    text = dump_persona_file([*specs, tricky], fmt="md")
    assert text.startswith("# Personas\n\n## Marketing Director Mary\n")
    assert parse_persona_file(text, filename="back.md") == [*specs, tricky]


def test_csv_with_commas_or_semicolons_one_row_per_persona() -> None:
    comma = 'Name,Role,Goals,Pain points,Owner\nMary,Director,"Prove ROI; Hit target",Attribution,U0OWNER1\n'
    semicolon = 'name;role;goals;team roles\nMary;Director;"Prove ROI; Hit target";"sales, success"\n'
    (a,) = parse_persona_file(comma, filename="p.csv")
    (b,) = parse_persona_file(semicolon, filename="p.csv")
    assert a.goals == b.goals == ("Prove ROI", "Hit target")
    assert (a.pain_points, a.owner, a.role) == (("Attribution",), "U0OWNER1", "Director")
    assert b.team_roles == ("sales", "success")


def test_a_csv_without_a_name_column_or_with_a_repeated_one_is_refused() -> None:
    with pytest.raises(FileError, match="the header needs a 'name' column"):
        parse_persona_file("role,goals\nCFO,x\n", filename="p.csv")
    with pytest.raises(FileError, match="column goals appears twice"):
        parse_persona_file("name,goals,Goals\nA,x,y\n", filename="p.csv")


def test_a_multi_line_yaml_string_under_a_list_field_is_split_into_items() -> None:
    (spec,) = parse_persona_file("personas:\n  - name: Mary\n    goals: |\n      - Prove ROI\n      Hit target\n\n")
    assert spec.goals == ("Prove ROI", "Hit target")


def test_every_problem_of_every_persona_is_reported_each_naming_where_and_which_field() -> None:
    text = (
        "## Mary\n**Status:** gone\n**Colour:** red\n### Goals\n- " + "g" * 301 + "\n- ok\n- " + "h" * 302 + "\n"
        "## Fiona\n**Owner:** bob\n**Team roles:** sales, engineering\n"
    )
    with pytest.raises(FileError) as refused:
        parse_persona_file(text, filename="p.md")
    assert refused.value.problems == [
        "persona 1 at line 1 (Mary): unknown field 'colour'; allowed fields are name, key, role, summary, goals, "
        "pain_points, motivations, objections, channels, evidence, owner, status, team_roles",
        "persona 1 at line 1 (Mary): goals item 1 is 301 characters long; the limit is 300",
        "persona 1 at line 1 (Mary): goals item 3 is 302 characters long; the limit is 300",
        "persona 1 at line 1 (Mary): status 'gone' must be one of active, retired",
        "persona 2 at line 8 (Fiona): owner 'bob' is not a Slack user id like U0123ABCD, or an email (or leave "
        "it empty)",
        "persona 2 at line 8 (Fiona): team_roles 'engineering' not one of sales, success, onboarding, marketing "
        "(empty means all)",
    ]


def test_duplicates_are_reported_beside_other_problems() -> None:
    with pytest.raises(FileError) as refused:
        parse_persona_file("name,status\nMary,active\nmary,active\nBob,gone\n", filename="p.csv")
    assert refused.value.problems == [
        "line 4 (Bob): status 'gone' must be one of active, retired",
        "line 3 (mary): name 'mary' is already used by line 2",
        "line 3 (mary): key 'mary' is already used by line 2 (derived from the name; set a different 'key')",
    ]


def test_a_field_twice_in_one_markdown_persona_and_text_outside_personas() -> None:
    with pytest.raises(FileError) as refused:
        parse_persona_file("## Mary\n**Role:** A\n**Role:** B\n", filename="p.md")
    assert refused.value.problems == [
        "persona 1 at line 1 (Mary): line 3: the field 'role' appears twice in this persona"
    ]
    with pytest.raises(FileError, match="no headings"):
        parse_persona_file("just some notes\n", filename="p.md")


def test_owners_may_be_emails_in_files_but_not_in_forms() -> None:
    (spec,) = parse_persona_file("personas:\n  - name: Mary\n    owner: Mary.Owner@Example.com\n")
    assert spec.owner == "mary.owner@example.com"
    from persona_store.files import build_persona_spec

    with pytest.raises(FileError, match="is not a Slack user id like U0123ABCD"):
        build_persona_spec({"name": "Mary", "owner": "mary@example.com"})
