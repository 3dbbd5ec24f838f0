"""One table of human names for stored codes, shared by Slack's templates and the workbook."""

from __future__ import annotations

from bot.labels import comment_kind_label, kind_label, role_label, source_label, stage_label, status_label
from bot.render import render_part
from persona_store.models import ATTRIBUTE_KINDS, FEEDBACK_ROLES, JOURNEY_STAGES, SOURCES, PersonaStatus


def test_every_stored_code_has_a_human_name() -> None:
    for codes, label in (
        (FEEDBACK_ROLES, role_label),
        (SOURCES, source_label),
        (JOURNEY_STAGES, stage_label),
        (ATTRIBUTE_KINDS, kind_label),
        ([s.value for s in PersonaStatus], status_label),
        (("missing", "objection", "evidence"), comment_kind_label),
    ):
        for code in codes:
            name = label(code)
            assert name and name != code and name[0].isupper(), (code, name)
    assert (role_label("success"), source_label("adhoc"), stage_label("evaluation")) == (
        "Customer success",
        "Ad hoc",
        "Evaluation",
    )


def test_slack_says_what_the_workbook_says() -> None:
    for role in ("sales", "success", "onboarding", "marketing"):
        assert render_part("checkins", "role_name", role) == role_label(role)
        assert render_part("edit", "role_option", role) == role_label(role)
        assert render_part("feedback", "role_option", role) == role_label(role)
    assert render_part("feedback", "role_option", "other") == "Something else", "the form's own wording"
    for stage in JOURNEY_STAGES:
        assert render_part("feedback", "journey_option", stage) == stage_label(stage)


def test_an_unknown_code_is_shown_as_stored() -> None:
    assert role_label("partner") == "partner" and role_label(None) == ""
