"""The clock's review step: DM each overdue persona's owner once per review cycle.

For each due persona: claim `review:{persona_id}:{cycle}` in the effects ledger (committed), send the DM, then
mark it done or failed. A doubled or restarted clock finds the claim and sends nothing; no DB transaction is
open during the Slack call. The DM carries its ledger key as Slack message metadata: a clock that takes over a
claim whose sender died looks for it in the DM first (`bot.slack.recovery`) and records it instead of resending.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from slack_sdk import WebClient

from bot.blocks.common import fallback_text
from bot.blocks.reviews import build_review_dm, review_fallback
from bot.clock.context import ClockContext
from bot.services import Services
from bot.services.outbox import OutboxService
from bot.services.reviews import ReviewRequest, ReviewService
from bot.slack.calls import without_resends
from bot.slack.clients import SlackClients, SlackUnavailable
from bot.slack.delivery import DeliveryAborted, Policy, Result, deliver_once
from bot.slack.pacing import AdaptivePacer
from persona_store.models import utcnow

log = logging.getLogger("persona_bot.reviews")


# Which count of a `ReviewRun` each delivery's result adds to (an unreachable owner is "failed": admins see it).
COUNTED = {
    Result.SENT: "sent",
    Result.RECOVERED: "recovered",
    Result.UNREACHABLE: "failed",
    Result.RETRY_LATER: "retry_later",
}


@dataclass
class ReviewRun:
    sent: int = 0
    failed: int = 0  # the owner can't be reached (left for admins in the overdue list)
    retry_later: int = 0  # Slack had a passing problem; the next tick asks again
    recovered: int = 0  # sent by a clock that died before recording it: found in the DM, recorded, not resent
    skipped_teams: int = 0


def send_due_reviews(
    reviews: ReviewService,
    outbox: OutboxService,
    client: WebClient,
    team_id: str,
    now: datetime,
    pacer: AdaptivePacer | None = None,
) -> ReviewRun:
    """Send this workspace's review DMs that are due at `now` and not claimed yet, at `pacer`'s pace (the
    workspace's chat.postMessage pacer on the clock, shared with the check-in fan-out) when given. A send whose
    outcome is unknown (a 5xx, a dropped connection) is not retried: the next tick looks for it first."""
    run = ReviewRun()
    after_days = reviews.after_days

    def message(request: ReviewRequest) -> dict[str, Any]:
        return {
            "channel": request.owner,
            "blocks": build_review_dm(request, after_days),
            "text": fallback_text(review_fallback(request)),
        }

    policy: Policy[ReviewRequest] = Policy(message, pacer=pacer, attempts=1)
    ledger = outbox.for_team(team_id, now)
    client = without_resends(client)
    for request in reviews.due_reviews(team_id, now):
        try:
            done = deliver_once(client, ledger, request, policy)
        except DeliveryAborted as error:
            log.warning("review requests stopped: %s", error, extra={"team_id": team_id})
            run.retry_later += 1
            break
        if counted := COUNTED.get(done.result):
            setattr(run, counted, getattr(run, counted) + 1)
        if done.reason:
            log.warning("review request not sent: %s", done.reason, extra={"team_id": team_id})
    return run


def run_due_reviews(services: Services, slack_clients: SlackClients, now: datetime) -> ReviewRun:
    """The clock's review step at `now`, in every workspace this process can reach (the demo; tests)."""
    run = ReviewRun()
    try:
        team_ids = slack_clients.team_ids()
    except SlackUnavailable as error:
        log.warning("reviews skipped: %s", error)
        return run
    ctx = ClockContext.of(services, slack_clients)
    for team_id in team_ids:
        try:
            one = reconcile_reviews(ctx, team_id, now)
        except SlackUnavailable as error:
            log.warning("reviews skipped for a workspace: %s", error, extra={"team_id": team_id})
            run.skipped_teams += 1
            continue
        for counted in COUNTED.values():
            setattr(run, counted, getattr(run, counted) + getattr(one, counted))
    return run


def reconcile_reviews(ctx: ClockContext, team_id: str, now: datetime | None = None) -> ReviewRun:
    """The clock's review step: ask owners whose personas are due, once per cycle."""
    if ctx.reviews is None or ctx.outbox is None:
        log.warning("reviews need the database engine in the clock's context; skipped")
        return ReviewRun()
    client = ctx.slack.for_team(team_id)
    run = send_due_reviews(ctx.reviews, ctx.outbox, client, team_id, now or utcnow(), ctx.pacer(team_id))
    if run.sent or run.failed:
        log.info("review requests sent", extra={"team_id": team_id, "sent": run.sent, "failed": run.failed})
    return run


__all__ = ["ReviewRun", "reconcile_reviews", "run_due_reviews", "send_due_reviews"]
