"""The check-in fan-out against the Slack stand-in: exactly once under crashes, races, 429 storms and 5xx."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.clock import jobs
from bot.clock.fanout import Fanout
from bot.services.outbox import OutboxService, Outgoing
from bot.services.reports import ReportService
from persona_store.effects import Claim
from persona_store.feedback import FeedbackAnswers
from persona_store.models import Effect, Participation
from persona_store.personas import list_personas
from tests.bot.checkins_world import TEAM, CheckinWorld, checkin_world, roster_entries


class Crash(BaseException):
    """Stands in for kill -9: not an Exception, so nothing on the way catches it."""


def pending_effects(world: CheckinWorld) -> list[str]:
    with world.sessions.begin() as s:
        return list(s.scalars(select(Effect.key).where(Effect.status == "pending")))


def assert_everyone_once(world: CheckinWorld, reachable: list[str]) -> None:
    invites = world.dms("invite")
    assert sorted(invites) == sorted(reachable), "every reachable rep got the DM"
    assert set(invites.values()) == {1}, f"nobody got it twice: {invites.most_common(3)}"


def test_open_dms_every_reachable_rep_once_and_records_the_unreachable(sessions: sessionmaker[Session]) -> None:
    entries = roster_entries(20)
    with checkin_world(sessions, entries, deactivated=("U0005",), missing=("U0007",)) as world:
        ctx = world.context()
        result = jobs.open_round(ctx, TEAM, "2026-Q4")
        assert result.created and result.assigned == 20
        assert result.report.sent == 18
        reachable = [r for r in world.reps if r not in ("U0005", "U0007")]
        assert_everyone_once(world, reachable)

        again = jobs.open_round(ctx, TEAM, "2026-Q4")
        assert not again.created and again.report.sent == 0 and again.assigned == 0
        assert_everyone_once(world, reachable)

        status = ctx.checkins.status(TEAM)
        assert status is not None
        assert dict(status.unreachable) == {"U0005": "deactivated", "U0007": "not_found"}
        assert status.total.sent == 18 and status.total.silent == 18 and status.total.unreachable == 2
        assert not pending_effects(world)


def test_the_dm_lists_the_personas_for_the_reps_role(sessions: sessionmaker[Session]) -> None:
    with checkin_world(sessions, roster_entries(4)) as world:
        jobs.open_round(world.context(), TEAM, "2026-Q4")
        by_rep = {c.params["channel"]: str(c.params["blocks"]) for c in world.standin.calls("chat.postMessage")}
        assert "Finance Fiona" in by_rep["U0000"] and "Onboarding Olly" not in by_rep["U0000"]  # sales
        assert "Onboarding Olly" in by_rep["U0001"] and "Finance Fiona" not in by_rep["U0001"]  # success
        assert all("Marketing Director Mary" in blocks for blocks in by_rep.values())  # no team_roles: everyone


def test_a_429_storm_is_obeyed_and_nobody_is_messaged_twice(sessions: sessionmaker[Session]) -> None:
    with checkin_world(sessions, roster_entries(20)) as world:
        world.standin.fail("chat.postMessage", status=429, retry_after=0, times=25)
        world.standin.rate_limit("chat.postMessage", 200, burst=1, retry_after_precision=0.01)
        report = jobs.open_round(world.context(slack_post_rate=400.0), TEAM, "2026-Q4").report
        assert report.rate_limited >= 25
        assert report.sent == 20 and not report.failed
        assert_everyone_once(world, world.reps)


def test_server_errors_are_retried_after_looking_and_a_long_outage_is_resumed_once(
    sessions: sessionmaker[Session],
) -> None:
    with checkin_world(sessions, roster_entries(20)) as world:
        # One worker, so the faults land on one DM in a row: four failures, then it goes through.
        ctx = world.context(sleep=lambda _: None, checkin_send_workers=1)  # back-off is counted, not slept
        world.standin.fail("chat.postMessage", status=500, times=2)
        world.standin.fail("chat.postMessage", status=503, times=2)
        first = jobs.open_round(ctx, TEAM, "2026-Q4").report
        assert first.sent == 20 and not first.failed
        assert_everyone_once(world, world.reps)
        # A 5xx may hide a message Slack posted all the same: each retry looked for it first.
        assert len(world.standin.calls("conversations.history")) == 4

    with checkin_world(sessions, roster_entries(6)) as world:
        ctx = world.context(sleep=lambda _: None)
        info, _ = ctx.checkins.open_round(TEAM, "2027-Q1")
        jobs.assign_missing(ctx, TEAM, info.id)
        world.standin.fail("chat.postMessage", status=503, times=10_000)
        items = ctx.checkins.invites_due(TEAM, info.id, now_for_everyone=True)
        down = Fanout(ctx.slack.for_team(TEAM), ctx.outbox_for(TEAM), _message, rate=500, sleep=lambda _: None).run(
            items
        )
        assert len(down.failed) == 6 and down.sent == 0
        assert len(pending_effects(world)) == 6, "unknown outcomes stay claimed, for the next run to check"
        world.standin.clear_faults()
        back = jobs.open_round(ctx, TEAM, "2027-Q1").report
        assert back.sent == 6, "the next run takes the abandoned claims over at once"
        assert not pending_effects(world)
        assert_everyone_once(world, world.reps)


def _message(item: Outgoing) -> dict[str, Any]:
    from bot.blocks.checkins import build_checkin_message

    return build_checkin_message(item)


class CrashingOutbox(OutboxService):
    """Dies (like kill -9) at a chosen point of the Nth message: after its claim, or after Slack accepted it."""

    def __init__(self, base: OutboxService, *, after_claims: int | None = None, after_sends: int | None = None):
        super().__init__(base._sessions, base._settings, base._clock)
        self.after_claims, self.after_sends = after_claims, after_sends
        self.claims = self.sends = 0
        self._lock = threading.Lock()

    def take(self, item: Any, token: str) -> Claim | None:
        got = super().take(item, token)
        with self._lock:
            self.claims += got is not None
            if self.after_claims is not None and self.claims > self.after_claims:
                raise Crash
        return got

    def complete(self, item: Any, token: str, channel: str | None, ts: str | None) -> bool:
        with self._lock:
            self.sends += 1
            if self.after_sends is not None and self.sends > self.after_sends:
                raise Crash
        return super().complete(item, token, channel, ts)


def _crashing_run(world: CheckinWorld, **crash: int) -> None:
    ctx = world.context(checkin_send_workers=1)
    info, _ = ctx.checkins.open_round(TEAM, "2026-Q4")
    jobs.assign_missing(ctx, TEAM, info.id)
    assert ctx.outbox is not None
    crashing = CrashingOutbox(ctx.outbox, **crash).for_team(TEAM)
    items = ctx.checkins.invites_due(TEAM, info.id, now_for_everyone=True)
    fan = Fanout(ctx.slack.for_team(TEAM), crashing, _message, rate=500, workers=1)
    with pytest.raises(Crash):
        fan.run(items)


def test_a_crash_after_the_claim_is_resumed_at_once_not_after_the_lease(sessions: sessionmaker[Session]) -> None:
    with checkin_world(sessions, roster_entries(20), checkin_claim_lease_seconds=300) as world:
        _crashing_run(world, after_claims=9)  # the 10th claim is committed, then the sender dies before Slack
        assert len(world.dms("invite")) == 9
        assert len(pending_effects(world)) == 1

        ctx = world.context()
        again = jobs.open_round(ctx, TEAM, "2026-Q4").report  # no sender holds that claim any more
        assert again.sent == 11 and again.already_done == 0
        assert len(world.standin.calls("conversations.history")) == 1, "decided from the DM's history first"
        assert_everyone_once(world, world.reps)
        assert not pending_effects(world)
        # Another process's claims, alive or dead: tests/bot/test_resume.py


def test_a_crash_between_slack_accepting_and_our_commit_sends_no_duplicate(
    sessions: sessionmaker[Session],
) -> None:
    """The taker of the abandoned claim finds the DM in Slack by its metadata key and records it instead."""
    with checkin_world(sessions, roster_entries(12), checkin_claim_lease_seconds=60) as world:
        _crashing_run(world, after_sends=5)  # Slack accepted the 6th DM; the process died before recording it
        assert len(world.dms("invite")) == 6
        in_flight = world.reps[5]
        (accepted,) = world.standin.messages(world.standin.dm_channel_id(in_flight))
        world.clock.advance(seconds=61)
        report = jobs.open_round(world.context(), TEAM, "2026-Q4").report
        assert report.recovered == 1 and report.sent == 6
        assert_everyone_once(world, world.reps)
        assert not pending_effects(world)
        assert len(world.standin.calls("conversations.history", team_id=TEAM)) == 1, "asked only for the takeover"
        with world.sessions.begin() as s:
            p = s.scalars(select(Participation).where(Participation.slack_user_id == in_flight)).one()
            assert (p.dm_channel, p.dm_ts) == (accepted["channel"], accepted["ts"]) and p.sent_at is not None


def test_a_crash_before_slack_accepted_is_sent_once_by_the_taker(sessions: sessionmaker[Session]) -> None:
    with checkin_world(sessions, roster_entries(12), checkin_claim_lease_seconds=60) as world:
        _crashing_run(world, after_claims=5)  # the 6th claim is committed; the process dies before calling Slack
        assert len(world.dms("invite")) == 5
        world.clock.advance(seconds=61)
        report = jobs.open_round(world.context(), TEAM, "2026-Q4").report
        assert report.recovered == 0 and report.sent == 7
        assert_everyone_once(world, world.reps)
        assert not pending_effects(world)
        (looked,) = world.standin.calls("conversations.history", team_id=TEAM)
        assert looked.params["channel"] == world.standin.dm_channel_id(world.reps[5])


def test_every_dm_carries_its_ledger_key_and_fresh_claims_never_read_history(sessions: sessionmaker[Session]) -> None:
    with checkin_world(sessions, roster_entries(6)) as world:
        jobs.open_round(world.context(), TEAM, "2026-Q4")
        with world.sessions.begin() as s:
            keys = set(s.scalars(select(Effect.key).where(Effect.status == "done")))
        posted = {m["metadata"]["event_payload"]["key"] for m in world.standin.messages()}
        assert posted == keys and len(keys) == 6
        assert world.standin.calls("conversations.history") == []


def test_without_history_access_the_taker_sends_as_before(sessions: sessionmaker[Session]) -> None:
    """No `im:history` (an install that predates it): never lose a DM; the old duplicate window comes back."""
    with checkin_world(sessions, roster_entries(4), checkin_claim_lease_seconds=60) as world:
        _crashing_run(world, after_sends=1)
        world.standin.fail("conversations.history", status=200, error="missing_scope")
        world.clock.advance(seconds=61)
        report = jobs.open_round(world.context(), TEAM, "2026-Q4").report
        assert report.recovered == 0 and report.sent == 3
        invites = world.dms("invite")
        assert sorted(invites) == sorted(world.reps), "no misses"
        assert [rep for rep, n in invites.items() if n > 1] == [world.reps[1]], "the in-flight DM, once more"
        assert not pending_effects(world)


def test_two_opens_at_the_same_moment_message_nobody_twice(sessions: sessionmaker[Session]) -> None:
    with checkin_world(sessions, roster_entries(20), deactivated=("U0003",)) as world:
        world.standin.rate_limit("chat.postMessage", 300, burst=2, retry_after_precision=0.01)
        barrier = threading.Barrier(3)
        errors: list[BaseException] = []

        def run() -> None:
            try:
                barrier.wait()
                jobs.open_round(world.context(), TEAM, "2026-Q4")
            except BaseException as error:  # reported below, with the thread's failure
                errors.append(error)

        threads = [threading.Thread(target=run) for _ in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert not errors
        assert_everyone_once(world, [r for r in world.reps if r != "U0003"])
        with world.sessions.begin() as s:
            rows = s.scalars(select(Participation)).all()
            assert len(rows) == 20 and all(p.sent_at or p.unreachable_at for p in rows)


def answer_every_page(ctx: Any, round_id: int, user_id: str) -> None:
    """A rep answering each persona they are asked about; only the last answer makes them "answered"."""
    cards = ctx.checkins.begin(TEAM, round_id, user_id).personas
    for n, card in enumerate(cards, start=1):
        answers = FeedbackAnswers(persona_id=card.id, revision_number=card.revision_number, role="sales", fit=4)
        progress = ctx.checkins.answer(TEAM, round_id, user_id, answers)
        assert progress.complete is (n == len(cards))
        assert (progress.participation.answered_at is not None) is (n == len(cards))


def test_reminders_reach_only_the_silent_with_a_cap_and_spacing(sessions: sessionmaker[Session]) -> None:
    with checkin_world(sessions, roster_entries(8), checkin_max_reminders=2) as world:
        ctx = world.context()
        info = jobs.open_round(ctx, TEAM, "2026-Q4").round
        ctx.checkins.skip(TEAM, info.id, "U0001", "on_leave")
        answer_every_page(ctx, info.id, "U0002")

        _, too_soon = jobs.remind(ctx, TEAM)
        assert too_soon.sent == 0, "not within the spacing after the invitation"
        world.clock.advance(hours=25)
        _, first = jobs.remind(ctx, TEAM)
        assert first.sent == 6
        assert set(world.dms("reminder")) == set(world.reps) - {"U0001", "U0002"}
        _, again = jobs.remind(ctx, TEAM)
        assert again.sent == 0
        world.clock.advance(hours=25)
        jobs.remind(ctx, TEAM)
        world.clock.advance(hours=25)
        _, capped = jobs.remind(ctx, TEAM)
        assert capped.sent == 0
        assert set(world.dms("reminder").values()) == {2}
        status = ctx.checkins.status(TEAM)
        assert status is not None
        assert status.total.skipped == 1 and status.total.answered == 1 and status.total.silent == 6


def test_close_posts_one_summary_and_turns_late_answers_away(sessions: sessionmaker[Session]) -> None:
    with checkin_world(sessions, roster_entries(6), report_channel="C0REPORTS") as world:
        ctx = world.context()
        info = jobs.open_round(ctx, TEAM, "2026-Q4").round
        result = jobs.close_round(ctx, TEAM)
        assert result is not None and result.closed_now and result.report.sent == 1
        again = jobs.close_round(ctx, TEAM)
        assert again is not None and not again.closed_now and again.report.sent == 0
        summaries = world.standin.messages("C0REPORTS")
        assert len(summaries) == 1 and "Response rate by role" in str(summaries[0]["blocks"])
        from persona_store.checkins import RoundClosed

        with pytest.raises(RoundClosed):
            ctx.checkins.begin(TEAM, info.id, "U0001")
        assert jobs.remind(ctx, TEAM)[0] is None


def test_claims_expire_but_a_waiting_sender_keeps_its_own(sessions: sessionmaker[Session]) -> None:
    with checkin_world(sessions, roster_entries(1), checkin_claim_lease_seconds=10) as world:
        ctx = world.context()
        info, _ = ctx.checkins.open_round(TEAM, "2026-Q4")
        jobs.assign_missing(ctx, TEAM, info.id)
        (item,) = ctx.checkins.invites_due(TEAM, info.id, now_for_everyone=True)
        outbox = ctx.outbox_for(TEAM)
        assert outbox.claim(item, "first")
        world.clock.advance(seconds=8)
        assert outbox.renew(item, "first")
        world.clock.advance(seconds=8)
        assert not outbox.claim(item, "second"), "renewed 8 s ago: still live"
        world.clock.advance(seconds=11)
        assert outbox.claim(item, "second"), "abandoned: taken over"
        assert not outbox.complete(item, "first", "D1", "1.0"), "the old owner can't complete it"
        assert outbox.complete(item, "second", "D1", "1.0")
        world.clock.advance(days=1)
        assert not outbox.claim(item, "third"), "done is done"
        with world.sessions.begin() as s:
            assert s.scalar(select(Effect.status).where(Effect.key == item.key)) == "done"


def test_close_attaches_the_quarters_workbook_once_per_target(sessions: sessionmaker[Session]) -> None:
    with checkin_world(sessions, roster_entries(4), report_channel="C0REPORTS") as world:
        ctx = world.context()
        ctx.reports = ReportService(world.sessions, world.settings)
        info = jobs.open_round(ctx, TEAM, "2026-Q4").round
        answer_every_page(ctx, info.id, "U0000")
        jobs.close_round(ctx, TEAM)
        jobs.close_round(ctx, TEAM)
        jobs.reconcile(ctx)
        uploads = world.standin.uploads()
        (upload,) = [u for u in uploads if u.filename.endswith(".xlsx")]
        (chart,) = [u for u in uploads if u.is_image]  # the fit-by-role chart, once too
        assert chart.channel_id == "C0REPORTS" and chart.alt_text and len(uploads) == 2
        assert upload.channel_id == "C0REPORTS" and upload.filename.endswith(".xlsx")
        assert upload.content[:2] == b"PK", "an xlsx (zip) workbook"
        (summary,) = world.standin.messages("C0REPORTS")
        assert "/persona report" not in str(summary["blocks"]), "no pointer to the report when it is attached"


def test_a_role_no_persona_names_is_not_asked(sessions: sessionmaker[Session]) -> None:
    with checkin_world(sessions, roster_entries(8)) as world:
        with world.sessions.begin() as s:
            for persona in list_personas(s, world.workspace_id):
                persona.team_roles = ["sales", "success"]
        result = jobs.open_round(world.context(), TEAM, "2026-Q4")
        onboarding = {r for i, r in enumerate(world.reps) if i % 4 == 2}
        assert result.assigned == 6
        assert set(world.dms()) == set(world.reps) - onboarding
