"""Edit modal, history and review builders: within Slack's limits for the largest personas, and hostile text escaped."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from bot import ids
from bot.blocks.edit import (
    TooLargeForModal,
    action_id,
    block_id,
    build_edit_modal,
    edit_errors,
    parse_edit_submission,
    split_list,
)
from bot.blocks.history import build_history
from bot.blocks.limits import assert_valid_blocks, assert_valid_view
from bot.blocks.reviews import build_overdue, build_review_dm, build_review_done, parse_review_value
from bot.services.personas_admin import EditForm, HistoryAnswer, HistoryEntry, Outcome, PersonaRef
from bot.services.reviews import ReviewAnswer, ReviewRequest, ReviewStatus
from bot.slack.limits import MAX_BLOCKS
from persona_store.persona_spec import LIST_FIELDS, PersonaSpec
from persona_store.personas import describe_changes
from persona_store.quarters import parse_period
from persona_store.reviews import MissingNote, OverdueReview, ReviewDigest
from slack_standin.client import state_values
from tests.evidence_seed import sample_evidence

NOW = datetime(2026, 11, 1, tzinfo=UTC)
HOSTILE = "<!channel> <@U0BOSS> & <https://evil.example|click>"


def big_spec(items: int = 30, item_len: int = 300) -> PersonaSpec:
    lists = {name: tuple(f"{i:02d}" + "x" * (item_len - 2) for i in range(items)) for name in LIST_FIELDS}
    return PersonaSpec(name="N" * 150, key="big", role="R" * 150, summary="S" * 1000, owner="U0OWNER", **lists)


def test_the_largest_persona_fits_the_modal_and_round_trips() -> None:
    spec = big_spec()
    view = build_edit_modal(EditForm(spec, persona_id=7, revision_number=3))
    assert_valid_view(view)
    submitted = dict(view, state={"values": state_values(view, {action_id("note"): "No change"})})
    submission = parse_edit_submission(submitted)
    assert submission is not None and submission.review_cycle is None
    assert (submission.persona_id, submission.revision_number, submission.note) == (7, 3, "No change")
    for name in LIST_FIELDS:
        assert submission.values[name] == list(getattr(spec, name)), f"{name} survives the split into inputs"
    assert submission.values["summary"] == spec.summary and submission.values["owner"] == "U0OWNER"


def test_lists_split_on_item_boundaries_within_the_input_limit() -> None:
    items = [f"item {i} " + "y" * 290 for i in range(30)]
    parts = split_list(items)
    assert len(parts) > 1 and all(len(p) <= 3000 for p in parts)
    assert [line for p in parts for line in p.splitlines()] == items
    assert split_list([]) == [""]


def test_a_persona_too_large_for_any_modal_is_refused_rather_than_truncated() -> None:
    with pytest.raises(TooLargeForModal):
        build_edit_modal(EditForm(big_spec(items=150), persona_id=1))


def test_the_new_form_is_valid_and_says_created() -> None:
    view = build_edit_modal(EditForm(PersonaSpec(name="", key="", owner="U0ADMIN")))
    assert_valid_view(view)
    note = next(b for b in view["blocks"] if b.get("block_id") == block_id("note"))
    assert note["element"]["initial_value"] == "Created" and not note.get("optional")
    assert view["title"]["text"] == "New persona"


def test_forged_or_altered_metadata_is_refused() -> None:
    view = build_edit_modal(EditForm(big_spec(items=1), persona_id=3, revision_number=1, review_cycle=1700000000))
    sealed = view["private_metadata"]
    assert "dm" not in sealed, "the modal never carries a message to update"
    assert parse_edit_submission(view) is not None
    altered = sealed.replace('"p":3', '"p":4')
    assert altered != sealed
    for forged in ("not json", json.dumps({"p": 3, "r": 1, "v": 1}), "x" * 4000, altered, sealed + "0"):
        assert parse_edit_submission(dict(view, private_metadata=forged)) is None


def test_errors_land_on_their_inputs() -> None:
    assert edit_errors({"goals": "too long", "key": "clash", "weird": "?"}) == {
        block_id("goals"): "too long",
        block_id("name"): "clash",
        block_id("note"): "?",
    }


def entry(number: int, note: str, changes: dict[str, dict[str, object]]) -> HistoryEntry:
    return HistoryEntry(
        number, "U0ADMIN", NOW - timedelta(days=number), note, tuple(describe_changes(changes).values())
    )


def test_history_stays_within_50_blocks_and_3000_characters_per_section() -> None:
    long_items = ["z" * 300 + str(i) for i in range(30)]
    entries = tuple(
        entry(
            n,
            "N" * 3000,
            {
                name: {"before": long_items, "after": [s + "!" for s in reversed(long_items)][:20]}
                for name in LIST_FIELDS
            }
            | {"summary": {"before": "a" * 1000, "after": "b" * 1000}},
        )
        for n in range(60, 1, -1)
    )
    blocks = build_history(HistoryAnswer(Outcome.FORM, "big", PersonaRef(1, "Big", "active"), entries))
    assert_valid_blocks(blocks)
    assert len(blocks) <= MAX_BLOCKS["message"]
    assert "older revision" in json.dumps(blocks[-1])


def test_history_escapes_user_text() -> None:
    entries = (
        entry(2, HOSTILE, {"goals": {"before": ["a"], "after": [HOSTILE]}, "role": {"before": "x", "after": HOSTILE}}),
    )
    blocks = build_history(HistoryAnswer(Outcome.FORM, "m", PersonaRef(1, HOSTILE, "retired"), entries))
    assert_valid_blocks(blocks)
    text = json.dumps(blocks)
    assert "<!channel>" not in text and "<@U0BOSS>" not in text and "<https://evil" not in text
    assert "retired" in text


def request(name: str = "Mary") -> ReviewRequest:
    digest = ReviewDigest(
        since=NOW - timedelta(days=120),
        period=parse_period("2026-Q4"),
        evidence=sample_evidence(statement=HOSTILE * 10),
        missing=(MissingNote("x" * 3000 + HOSTILE, "sales", NOW),),
    )
    return ReviewRequest(7, name, "Role", "U0OWNER", 1700000000, "review:7:1700000000", NOW, digest)


def mrkdwn_texts(value: object) -> list[str]:
    """Every mrkdwn text in a structure (plain_text is never parsed for mentions)."""
    if isinstance(value, dict):
        own = [value["text"]] if value.get("type") == "mrkdwn" else []
        return own + [t for v in value.values() for t in mrkdwn_texts(v)]
    if isinstance(value, list):
        return [t for v in value for t in mrkdwn_texts(v)]
    return []


def test_the_review_dm_is_valid_escaped_and_carries_the_cycle() -> None:
    blocks = build_review_dm(request(HOSTILE + "N" * 150), after_days=182)
    assert_valid_blocks(blocks)
    text = json.dumps(mrkdwn_texts(blocks))
    assert "<!channel>" not in text and "<@U0BOSS>" not in text and "<@U0OWNER>" in text
    actions = blocks[-1]
    assert actions["block_id"] == ids.BLOCK_REVIEW_ACTIONS
    assert {e["value"] for e in actions["elements"]} == {"7:1700000000"}
    done = build_review_done(ReviewAnswer(ReviewStatus.RECORDED, "accurate", HOSTILE, "U0OWNER", NOW))
    assert_valid_blocks(done)
    assert not [b for b in done if b["type"] == "actions"]
    assert "<!channel>" not in json.dumps(done), "rebuilt from server data, escaped"


def test_review_values_are_checked() -> None:
    assert parse_review_value("7:1700000000") == (7, 1700000000)
    for bad in ("", "7", "7:", "x:1", "7:1:2", "-1:5", "9" * 30 + ":1", "0:1", f"{2**63}:1", "7:" + "9" * 30):
        assert parse_review_value(bad) is None


def test_the_overdue_list_fits_for_many_personas() -> None:
    items = [
        OverdueReview(i, "P" * 150 + HOSTILE, None if i % 2 else "U0OWNER", NOW, i, ("done", "failed", None)[i % 3])
        for i in range(400)
    ]
    blocks = build_overdue(items, 182)
    assert_valid_blocks(blocks)
    assert "<!channel>" not in json.dumps(blocks)
    assert "No persona reviews are overdue" in json.dumps(build_overdue([], 182))
