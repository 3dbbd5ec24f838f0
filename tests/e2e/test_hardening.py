"""What comes back from the client is never trusted: the six problems of issue 11, each through the real
`persona-bot serve` and the Slack stand-in, on SQLite and on PostgreSQL.

Every request here is correctly signed, as a member of the workspace who edits requests before sending them could
send it: channels, `message.ts`, `message.blocks`, button values and `private_metadata` are all changed.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from typing import Any

import pytest
from slack_sdk import WebClient
from sqlalchemy import select

from bot import ids, untrusted
from bot.clock.reviews import run_due_reviews
from bot.config import Settings
from bot.services import Services
from bot.slack.clients import SlackClients
from persona_store.checkins import Assignment, assign, close_round, open_round
from persona_store.feedback import FeedbackAnswers, checkin_submission_key, record_feedback
from persona_store.files import parse_persona_file
from persona_store.models import Feedback, Participation, Persona, RosterMember, utcnow
from persona_store.personas import import_personas
from persona_store.workspaces import ensure_workspace
from slack_standin import SlackStandin
from tests.conftest import BACKENDS
from tests.db_fingerprint import changed_tables, fingerprint
from tests.e2e.conftest import BOT_TOKEN, DEMO_DATA, E2E, SIGNING_SECRET, STANDIN_TEAM, RunningBot, make_e2e, run_bot
from tests.reports_seed import MANAGER, REPS, seed_world

pytestmark = pytest.mark.e2e

OWNER = "U0OWNER1"  # owns Mary and Rick in the demo personas
MEMBER = "U0MEMBER"  # anyone in the workspace
REP = "U0REP1"
ADMIN = "U0ADMIN"


@pytest.fixture(scope="module", params=BACKENDS)
def bot(
    request: pytest.FixtureRequest, standin: SlackStandin, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningBot]:
    env = {
        "PERSONA_BOT_ADMINS": ADMIN,
        # Small limits, so a test can see all of them: one build at a time, one waiting.
        "REPORT_BUILD_WORKERS": "1",
        "REPORT_BUILDS_PER_WORKSPACE": "1",
        "REPORT_QUEUE_LIMIT": "1",
    }
    if request.param == "postgresql":
        env["DATABASE_URL"] = request.getfixturevalue("postgres_url")
    with run_bot(standin, tmp_path_factory.mktemp(f"hardening-{request.param}"), **env) as running:
        yield running


@pytest.fixture
def e2e(standin: SlackStandin, bot: RunningBot) -> Iterator[E2E]:
    world = make_e2e(standin, bot)
    for user in (OWNER, MEMBER, REP, ADMIN):
        standin.add_user(STANDIN_TEAM, user, user.lower())
    untrusted.configure(SIGNING_SECRET)  # this test process may seal what the server would have sealed
    try:
        yield world
    finally:
        world.client.close()


def bot_client(e2e: E2E) -> WebClient:
    return WebClient(token=BOT_TOKEN, base_url=e2e.standin.api_url)


def calls_of(e2e: E2E, *methods: str) -> list[Any]:
    return [c for c in e2e.standin.calls() if c.method in methods]


def message_at(e2e: E2E, channel: str, ts: str) -> dict[str, Any]:
    return next(m for m in e2e.standin.messages(channel) if m["ts"] == ts)


# --- 1. review buttons update only the DM the ledger recorded, rebuilt from server data ---------------------


def send_review_dms(e2e: E2E) -> None:
    with e2e.sessions.begin() as s:
        workspace_id = ensure_workspace(s, e2e.team_id).id
        specs = parse_persona_file(DEMO_DATA / "personas.yaml")
        import_personas(s, workspace_id, specs, author="import", now=utcnow() - timedelta(days=200))
    settings = Settings(slack_api_url=e2e.standin.api_url, slack_bot_token=BOT_TOKEN, slack_team_id=e2e.team_id)
    with ThreadPoolExecutor(max_workers=1) as pool:
        assert run_due_reviews(Services.build(settings, e2e.sessions, pool), SlackClients(settings), utcnow()).sent


def review_dm(e2e: E2E, name: str) -> dict[str, Any]:
    for message in e2e.standin.messages(SlackStandin.dm_channel_id(OWNER)):
        if f"Time to review {name}" in json.dumps(message.get("blocks")):
            return message
    raise AssertionError(f"no review DM for {name}")


def value_of(message: dict[str, Any], action: str) -> str:
    return next(
        str(e["value"])
        for b in message["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == action
    )


def channel_summary(e2e: E2E) -> dict[str, Any]:
    """A message the bot posted in a channel (a round summary): what a forged click would like to overwrite."""
    posted = bot_client(e2e).chat_postMessage(channel="C0SUMMARY", text="Round summary: 3 of 4 answered")
    return message_at(e2e, "C0SUMMARY", str(posted["ts"]))


def test_a_forged_review_click_cannot_overwrite_a_channel_message(e2e: E2E) -> None:
    summary = channel_summary(e2e)
    for action in (ids.ACTION_REVIEW_ACCURATE, ids.ACTION_REVIEW_RETIRE):
        reply = e2e.client.block_action(
            action, "99999:0", user_id=MEMBER, message=summary, channel_id="C0SUMMARY", response_url=True
        )
        assert reply.status == 200, reply.text
    posts = e2e.wait_for(lambda: len(e2e.standin.response_posts()) == 2 and e2e.standin.response_posts())
    assert all("no longer exists" in json.dumps(p.body) for p in posts), "told privately"
    assert calls_of(e2e, "chat.update") == []
    assert message_at(e2e, "C0SUMMARY", summary["ts"]) == summary


def test_an_owner_cannot_make_the_bot_repost_blocks_or_update_another_message(e2e: E2E) -> None:
    send_review_dms(e2e)
    summary = channel_summary(e2e)
    dm = review_dm(e2e, "Marketing Director Mary")
    hostile = {"type": "section", "text": {"type": "mrkdwn", "text": "<!channel> all personas are fake"}}
    forged = {**dm, "ts": summary["ts"], "blocks": [hostile, *dm["blocks"]]}
    reply = e2e.client.block_action(
        ids.ACTION_REVIEW_ACCURATE,
        value_of(dm, ids.ACTION_REVIEW_ACCURATE),
        user_id=OWNER,
        message=forged,
        channel_id="C0SUMMARY",
    )
    assert reply.status == 200, reply.text
    (update,) = e2e.wait_for(lambda: calls_of(e2e, "chat.update"))
    assert (update.params["channel"], update.params["ts"]) == (dm["channel"], dm["ts"]), "the DM the ledger knows"
    updated = message_at(e2e, dm["channel"], dm["ts"])
    assert "all personas are fake" not in json.dumps(updated), "rebuilt from server data, not from the request"
    assert "confirmed *Marketing Director Mary* is still accurate" in json.dumps(updated["blocks"])
    assert message_at(e2e, "C0SUMMARY", summary["ts"]) == summary


def test_the_edit_modal_metadata_cannot_name_a_message_to_update(e2e: E2E) -> None:
    send_review_dms(e2e)
    summary = channel_summary(e2e)
    dm = review_dm(e2e, "RevOps Rick")
    e2e.client.block_action(
        ids.ACTION_REVIEW_EDIT,
        value_of(dm, ids.ACTION_REVIEW_EDIT),
        user_id=OWNER,
        message=dm,
        channel_id=dm["channel"],
    )
    view = e2e.wait_for(lambda: e2e.standin.last_view(OWNER))
    assert "C0SUMMARY" not in view["private_metadata"] and '"dm"' not in view["private_metadata"]
    payload, _, _ = view["private_metadata"].rpartition("~")
    forged_meta = json.dumps({**json.loads(payload), "dm": ["C0SUMMARY", summary["ts"]]}, separators=(",", ":"))
    answers = {"edit_role_input": "Head of RevOps", "edit_note_input": "review"}
    before = fingerprint(e2e.sessions)
    refused = e2e.client.view_submission_from({**view, "private_metadata": forged_meta}, answers, OWNER)
    assert refused.status == 200 and refused.json()["response_action"] == "errors"
    assert changed_tables(before, fingerprint(e2e.sessions)) == [], "nothing saved"
    saved = e2e.client.view_submission_from(view, answers, OWNER)
    assert saved.status == 200 and not saved.body, saved.text
    (update,) = e2e.wait_for(lambda: calls_of(e2e, "chat.update"))
    assert (update.params["channel"], update.params["ts"]) == (dm["channel"], dm["ts"])
    assert message_at(e2e, "C0SUMMARY", summary["ts"]) == summary


# --- 2 and 3. check-in answers belong to their round; "answered" is computed on the server ---------------------


def round_with_rep(e2e: E2E) -> tuple[int, list[int]]:
    """An open round with REP (sales) on it, asked about the demo personas; returns (round id, persona ids)."""
    e2e.seed_personas()
    with e2e.sessions.begin() as s:
        workspace_id = ensure_workspace(s, e2e.team_id).id
        s.add(RosterMember(workspace_id=workspace_id, slack_user_id=REP, name="Rep", role="sales"))
        round_, _ = open_round(s, workspace_id, "2026-Q4", date(2026, 10, 20))
        assign(s, round_.id, [Assignment(REP, "sales", "UTC")])
        persona_ids = list(
            s.scalars(select(Persona.id).where(Persona.workspace_id == workspace_id).order_by(Persona.id))
        )
        return round_.id, persona_ids


def answer_record(e2e: E2E, round_id: int, persona_id: int) -> int:
    with e2e.sessions.begin() as s:
        workspace_id = ensure_workspace(s, e2e.team_id).id
        revision = s.scalar(select(Persona.revision_number).where(Persona.id == persona_id)) or 0
        answers = FeedbackAnswers(persona_id=persona_id, revision_number=revision, role="sales", fit=4)
        feedback, _ = record_feedback(
            s,
            workspace_id,
            answers,
            submission_key=checkin_submission_key(round_id, persona_id, REP),
            author_id=REP,
            source="checkin",
            round_id=round_id,
            replace=True,
        )
        return feedback.id


def participation(e2e: E2E, round_id: int) -> Participation:
    with e2e.sessions.begin() as s:
        found = s.scalar(
            select(Participation).where(Participation.round_id == round_id, Participation.slack_user_id == REP)
        )
        assert found is not None
        s.expunge(found)
        return found


def radio(value: str) -> dict[str, Any]:
    return {"type": "radio_buttons", "selected_option": {"value": value}}


def test_closed_check_in_answers_cannot_be_changed_or_deleted_through_the_ad_hoc_paths(e2e: E2E) -> None:
    round_id, persona_ids = round_with_rep(e2e)
    record = answer_record(e2e, round_id, persona_ids[0])
    with e2e.sessions.begin() as s:
        for p in s.scalars(select(Participation).where(Participation.round_id == round_id)):
            p.answered_at = utcnow()
        close_round(s, ensure_workspace(s, e2e.team_id).id, round_id)
    e2e.standin.clear()
    before = fingerprint(e2e.sessions)
    for action in (ids.ACTION_FEEDBACK_EDIT, ids.ACTION_FEEDBACK_DELETE):
        reply = e2e.client.block_action(action, str(record), user_id=REP, channel_id="C0GENERAL", response_url=True)
        assert reply.status == 200, reply.text
    posts = e2e.wait_for(lambda: len(e2e.standin.response_posts()) == 2 and e2e.standin.response_posts())
    assert all("check-in answer" in json.dumps(p.body) for p in posts)
    # The feedback modal's own metadata naming the record (sealed as if the server had written it): refused too.
    meta = untrusted.seal(ids.VIEW_FEEDBACK, {"key": "k" * 32, "persona_id": persona_ids[0], "feedback_id": record})
    view = {"type": "modal", "callback_id": ids.VIEW_FEEDBACK, "private_metadata": meta, "blocks": []}
    values = {
        ids.BLOCK_FEEDBACK_PERSONA: {
            ids.ACTION_FEEDBACK_PERSONA: {"type": "static_select", "selected_option": {"value": str(persona_ids[0])}}
        },
        ids.BLOCK_FEEDBACK_ROLE: {
            ids.ACTION_FEEDBACK_ROLE: {"type": "radio_buttons", "selected_option": {"value": "sales"}}
        },
        ids.BLOCK_FEEDBACK_FIT: {ids.ACTION_FEEDBACK_FIT: {"type": "radio_buttons", "selected_option": {"value": "1"}}},
    }
    submitted = e2e.client.view_submission(view, values, REP)
    assert submitted.status == 200 and submitted.json()["response_action"] == "errors", submitted.text
    assert calls_of(e2e, "views.open", "views.update", "chat.update") == []
    assert changed_tables(before, fingerprint(e2e.sessions)) == []
    assert participation(e2e, round_id).answered_at is not None, "still true: the answer is still there"


def test_a_rep_is_answered_only_when_every_persona_they_were_asked_about_has_an_answer(e2e: E2E) -> None:
    round_id, _ = round_with_rep(e2e)
    e2e.client.block_action(ids.ACTION_CHECKIN_START, str(round_id), user_id=REP, channel_id="D0REP1")
    page = e2e.wait_for(lambda: e2e.standin.last_view(REP))
    asked = json.loads(page["private_metadata"].rpartition("~")[0])["p"]
    assert len(asked) >= 2
    # Forged metadata (not sealed): refused, nothing stored.
    before = fingerprint(e2e.sessions)
    forged = {**page, "private_metadata": json.dumps({"r": round_id, "i": 0, "p": [999999]})}
    refused = e2e.client.view_submission_from(forged, {ids.ACTION_FEEDBACK_FIT: "4"}, REP)
    assert refused.status == 200 and "isn't addressed to you" in refused.json()["view"]["blocks"][0]["text"]["text"]
    assert changed_tables(before, fingerprint(e2e.sessions)) == []
    # Even a sealed p=[999999] marks nobody: that persona is not one the rep was asked about.
    sealed = untrusted.seal(ids.VIEW_CHECKIN, {"r": round_id, "i": 0, "p": [999999]})
    e2e.client.view_submission_from({**page, "private_metadata": sealed}, {ids.ACTION_FEEDBACK_FIT: "4"}, REP)
    assert participation(e2e, round_id).answered_at is None
    # Metadata naming only the first persona: its answer is stored, the rep is not answered, the next page shows.
    first_only = untrusted.seal(ids.VIEW_CHECKIN, {"r": round_id, "i": 0, "p": [asked[0]]})
    reply = e2e.client.view_submission_from(
        {**page, "private_metadata": first_only}, {ids.ACTION_FEEDBACK_FIT: "4"}, REP
    )
    assert reply.status == 200 and reply.json()["response_action"] == "update"
    assert "2 of" in json.dumps(reply.json()["view"]["blocks"]), "the second persona's page comes next"
    assert participation(e2e, round_id).answered_at is None
    with e2e.sessions.begin() as s:
        stored = list(s.scalars(select(Feedback.persona_id).where(Feedback.round_id == round_id)))
    assert stored == [asked[0]]


# --- 4. report builds are bounded ----------------------------------------------------------------------------


def test_sixty_requests_for_one_report_build_it_once_and_the_queue_is_bounded(e2e: E2E) -> None:
    seed_world(e2e.sessions, team_id=e2e.team_id)
    others = ["U0MGR2", "U0MGR3"]
    with e2e.sessions.begin() as s:
        workspace_id = ensure_workspace(s, e2e.team_id).id
        for user in others:
            s.add(RosterMember(workspace_id=workspace_id, slack_user_id=user, name=user, role="sales", is_manager=True))
    for user in [*REPS, *others]:
        e2e.standin.add_user(STANDIN_TEAM, user, user.lower())
    e2e.standin.latency("files.completeUploadExternal", 4.0)  # the first build is still uploading meanwhile
    acks = [json.dumps(e2e.client.command("report 2026-Q3", user_id=MANAGER).json()) for _ in range(30)]
    for _ in range(30):
        e2e.client.block_action(
            ids.ACTION_HOME_DOWNLOAD_REPORT, "2026-Q3", user_id=MANAGER, view={"type": "home", "id": "VHOME"}
        )
    queued = json.dumps(e2e.client.command("report 2026-Q3", user_id=others[0]).json())
    busy = json.dumps(e2e.client.command("report 2026-Q3", user_id=others[1]).json())
    assert "Building the persona report" in acks[0]
    assert all("already on its way" in a for a in acks[1:])
    dm = SlackStandin.dm_channel_id(MANAGER)
    notes = e2e.wait_for(
        lambda: (
            len([m for m in e2e.standin.messages(dm) if "already on its way" in m["text"]]) == 30
            and e2e.standin.messages(dm)
        )
    )
    assert all("<!channel>" not in m["text"] for m in notes)
    assert "Building the persona report" in queued, "one build waits in the queue"
    assert "try again in a minute" in busy, "past the queue: a polite refusal"
    uploads = e2e.wait_for(lambda: len(e2e.standin.uploads()) == 2 and e2e.standin.uploads(), timeout=60)
    e2e.standin.latency("files.completeUploadExternal", 0)
    assert sorted(u.channel_id for u in uploads) == sorted(SlackStandin.dm_channel_id(u) for u in (MANAGER, others[0]))


# --- 5. malformed but signed requests never get a 5xx ---------------------------------------------------------


def deep(levels: int) -> str:
    """JSON nested `levels` deep (too deep for json.dumps to write, or json.loads to read, recursively)."""
    return '{"a":[' * levels + "1" + "]}" * levels


def test_malformed_signed_requests_get_a_4xx_never_a_5xx(e2e: E2E) -> None:
    round_id, _ = round_with_rep(e2e)
    team, user = {"id": e2e.team_id}, {"id": REP, "team_id": e2e.team_id}
    button = {"action_id": ids.ACTION_CHECKIN_START, "type": "button", "value": str(round_id)}
    view = {"id": "V1", "type": "modal", "callback_id": ids.VIEW_CHECKIN, "private_metadata": "{}"}
    cases: list[dict[str, Any]] = [
        {"type": "block_actions", "team": team, "user": user, "actions": []},
        {"type": "block_actions", "team": team, "user": user, "actions": [{**button, "value": str(10**30)}]},
        {"type": "view_submission", "team": team, "user": user, "view": {**view, "state": {"values": None}}},
        {"type": "view_submission", "team": team, "user": user, "view": {**view, "state": {"values": []}}},
        {"type": "view_submission", "team": team, "user": user, "view": {**view, "state": {"values": "x"}}},
        {
            "type": "block_actions",
            "team": team,
            "user": user,
            "actions": [{"action_id": ids.ACTION_CHECKIN_SKIP, "type": "static_select", "selected_option": "x"}],
        },
        {
            "type": "view_submission",
            "team": team,
            "user": user,
            "view": {
                **view,
                "callback_id": ids.VIEW_EDIT_PERSONA,
                "state": {"values": {"edit_name": ["not", "a", "dict"]}},
            },
        },
        {
            "type": "view_submission",
            "team": team,
            "user": user,
            "view": {**view, "private_metadata": json.dumps({"r": 10**30, "i": 0, "p": [10**30]})},
        },
        {"type": "block_actions", "team": None, "user": {"id": REP}, "actions": [button]},
        {"type": "block_actions", "user": user, "team": team, "actions": [{**button, "value": None}], "view": 7},
    ]
    before = fingerprint(e2e.sessions)
    statuses = [e2e.client.interaction(case).status for case in cases]
    nested = json.dumps({"type": "block_actions", "team": team, "user": user, "actions": [button]})[:-1]
    statuses.append(e2e.client.send_form({"payload": nested + ', "deep": ' + deep(5000) + "}"}).status)
    statuses.append(e2e.client.send_form({"payload": '{"type": "block_actions", "actions": ['}).status)
    statuses.append(e2e.client.raw(b"[" * 100_000, "application/json").status)
    assert all(status < 500 for status in statuses), statuses
    assert changed_tables(before, fingerprint(e2e.sessions)) == []
    assert calls_of(e2e, "views.open", "views.update", "chat.update", "files.completeUploadExternal") == []
    assert e2e.client.command("help", user_id=REP).status == 200, "still serving"


# --- 6. typed text is escaped everywhere it is echoed, the top-level text included ------------------------------


def test_typed_text_is_escaped_in_the_top_level_text_too(e2e: E2E) -> None:
    seed_world(e2e.sessions, team_id=e2e.team_id)
    reply = e2e.client.command("report <!channel> <@U0BOSS>", user_id=MANAGER).json()
    assert "<!channel>" not in reply["text"] and "<@U0BOSS>" not in reply["text"]
    assert "&lt;!channel&gt;" in reply["text"]
    assert "<!channel>" not in json.dumps(reply["blocks"])
