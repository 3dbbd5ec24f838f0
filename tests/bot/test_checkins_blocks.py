"""Check-in builders: the DM, its reminders, the pages, the status and the summary, within Slack's limits."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

from bot import ids
from bot.blocks.checkins import (
    PageMeta,
    build_answered_message,
    build_checkin_message,
    build_checkin_page,
    build_skipped_message,
    build_status,
    build_summary,
    build_thanks_view,
    snoozed_notice,
)
from bot.blocks.limits import assert_valid_blocks, assert_valid_view
from bot.services.checkins import CheckinPage
from bot.services.lookup import PersonaCard
from bot.services.outbox import CheckedPersona, Outgoing
from bot.services.rounds import RoundInfo
from bot.services.summary import RoundStatus, RoundSummary
from persona_store.evidence import ResponseRate
from tests.evidence_seed import sample_evidence

HOSTILE = "<!channel> Mary & <@U0BOSS> <https://evil.example|click>"
ROUND = RoundInfo(7, "2026-Q4", "open", date(2026, 10, 14), datetime(2026, 10, 1, tzinfo=UTC), None)


def card(i: int, name: str | None = None, attributes: int = 3) -> PersonaCard:
    return PersonaCard(
        id=i,
        key=f"p{i}",
        name=name or f"Persona {i}",
        role="Buyer",
        summary="Summary " * 50,
        goals=tuple(f"Goal {n}" for n in range(attributes)),
        pain_points=("Pain",),
        motivations=(),
        objections=("Objection",),
        channels=(),
        evidence=(),
        owner=None,
        status="active",
        revision_number=1,
        revised_at=datetime(2026, 1, 1, tzinfo=UTC),
    )


def invite(kind: str = "invite", personas: int = 3, name: str = HOSTILE) -> Outgoing:
    refs = tuple(CheckedPersona(i, name if i == 0 else f"Persona {i}", "Buyer", 8 if i else 2) for i in range(personas))
    return Outgoing("k", kind, 7, "2026-Q4", date(2026, 10, 14), "U0REP", number=1, personas=refs)


def test_the_dm_says_who_why_which_personas_when_and_offers_three_ways_out() -> None:
    message = build_checkin_message(invite())
    assert_valid_blocks(message["blocks"])
    text = json.dumps(message["blocks"])
    assert message["channel"] == "U0REP"
    for words in ("persona-bot", "Once a quarter", "14 Oct 2026", "Persona 1", "3 personas"):
        assert words in text
    # the real number of questions: fit + 2 statements, then fit + 4 of 8 twice = 13 questions, about 3 minutes
    assert "about 3 minutes: 3 personas, 13 questions in all" in text
    assert "<!channel>" not in text and "&lt;!channel&gt; Mary &amp; &lt;@U0BOSS&gt;" in text, "names are escaped"
    elements = [e for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert [e["action_id"] for e in elements] == [
        ids.ACTION_CHECKIN_START,
        ids.ACTION_CHECKIN_SNOOZE,
        ids.ACTION_CHECKIN_SKIP,
    ]
    assert [o["value"] for o in elements[2]["options"]] == ["7:on_leave", "7:no_customer_contact", "7:new_in_role"]


def test_reminders_and_snoozes_say_what_they_are_and_many_personas_fit_in_one_message() -> None:
    reminder = build_checkin_message(invite("reminder", personas=80), reminder_limit=2)
    assert_valid_blocks(reminder["blocks"])
    assert reminder["text"].startswith("Reminder")
    assert "(1 of 2)" in json.dumps(reminder["blocks"]) and "and 55 more" in json.dumps(reminder["blocks"])
    snooze = build_checkin_message(invite("snooze"))
    assert_valid_blocks(snooze["blocks"])
    assert "you asked me to remind you" in json.dumps(snooze["blocks"])


def test_answered_and_skipped_dms_keep_only_the_buttons_that_still_make_sense() -> None:
    answered = build_answered_message(ROUND)
    skipped = build_skipped_message(ROUND, "on_leave")
    for message in (answered, skipped):
        assert_valid_blocks(message["blocks"])
        elements = [e for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]]
        assert [e["action_id"] for e in elements] == [ids.ACTION_CHECKIN_START]
    assert "Revise my answers" in json.dumps(answered["blocks"])
    assert "on leave" in json.dumps(skipped["blocks"])
    notice = snoozed_notice(datetime(2026, 10, 5, 8, 0, tzinfo=UTC), "Europe/Berlin")
    assert "Monday 05 Oct at 10:00 (Europe/Berlin)" in notice["text"]


def test_pages_are_light_fit_the_chosen_statements_and_whats_missing_and_the_role_once() -> None:
    questions = {1: (0, 4), 2: (1, 2, 3, 4), 3: (0, 60, 119, 121)}
    cards = (card(1), card(2, HOSTILE), card(3, attributes=120))
    page = CheckinPage(ROUND, "U0REP", "sales", cards, {}, questions)
    first, second, last = (build_checkin_page(page, i) for i in range(3))
    for view in (first, second, last):
        assert_valid_view(view)
        assert len(view["blocks"]) <= 100
        assert view["callback_id"] == ids.VIEW_CHECKIN
    assert "*1 of 3*" in json.dumps(first["blocks"]) and first["submit"]["text"] == "Next"
    assert last["submit"]["text"] == "Submit"
    assert "&lt;!channel&gt;" in json.dumps(second["blocks"])
    block_ids = {b.get("block_id") for b in first["blocks"]}
    assert ids.BLOCK_FEEDBACK_FIT in block_ids, "the feedback form's fit scale"
    assert ids.BLOCK_FEEDBACK_ROLE in block_ids, "the role, from the roster, confirmed on the first page"
    assert ids.BLOCK_FEEDBACK_MISSING in block_ids
    for view, persona_id in ((first, 1), (second, 2), (last, 3)):
        asked = [
            b["block_id"] for b in view["blocks"] if str(b.get("block_id")).startswith(ids.BLOCK_FEEDBACK_ATTRIBUTE)
        ]
        assert asked == [f"{ids.BLOCK_FEEDBACK_ATTRIBUTE}.{persona_id}.1.{n}" for n in questions[persona_id]]
        inputs = [b["block_id"] for b in view["blocks"] if b["type"] == "input"]
        assert len(inputs) == (3 if view is first else 2) + len(questions[persona_id]), "nothing else is asked"
        for gone in (ids.BLOCK_FEEDBACK_JOURNEY, ids.BLOCK_FEEDBACK_EVIDENCE, ids.BLOCK_FEEDBACK_OBJECTIONS):
            assert gone not in inputs
    assert ids.BLOCK_FEEDBACK_ROLE not in {b.get("block_id") for b in second["blocks"]}, "asked once per round"
    # fit + up to 4 statements per persona (each has 5 or more): 15 questions, as the DM and Home count them
    assert "about 3 minutes: 3 personas, 15 questions in all" in json.dumps(first["blocks"])
    assert PageMeta.from_json(second["private_metadata"]) == PageMeta(7, 1, (1, 2, 3))
    assert PageMeta.from_json('{"r": 7, "i": 9, "p": [1]}') is None, "a tampered page index is refused"
    assert PageMeta.from_json("not json") is None
    assert_valid_view(build_thanks_view(page))


def test_status_and_summary_fit_slack_for_many_personas() -> None:
    sales = ResponseRate("sales", asked=10, sent=9, answered=6, skipped=1, silent=2, unreachable=1)
    status = RoundStatus(ROUND, {"sales": sales}, sales.merged(ResponseRate(None)), (("U0GONE", "deactivated"),))
    status_blocks = build_status(status)
    assert_valid_blocks(status_blocks)
    text = json.dumps(status_blocks, ensure_ascii=False)
    assert "9 sent" in text and "67 % (6 answered of 9: 10 asked − 1 skipped) · 1 unreachable, 2 silent" in text
    assert "no check-in round yet" in json.dumps(build_status(None))

    lines = tuple(sample_evidence(f"Persona {i} {HOSTILE}", "Too expensive & slow", persona_id=i) for i in range(200))
    summary = build_summary(RoundSummary(status, lines))
    assert_valid_blocks(summary["blocks"])
    assert len(summary["blocks"]) <= 50
    text = json.dumps(summary["blocks"], ensure_ascii=False)
    assert "67 %" in text and "Fit 3.2/5 ± 1.6 from 5 people" in text and "Too expensive &amp; slow" in text
    assert "each person counts once" in text
    assert "<!channel>" not in text
