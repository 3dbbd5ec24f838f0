"""The clock's review step: DM each overdue persona's owner once per review cycle.

For each due persona: claim `review:{persona_id}:{cycle}` in the effects ledger (committed), send the DM, then
mark it done or failed. A doubled or restarted clock finds the claim and sends nothing; no DB transaction is
open during the Slack call. The DM carries its ledger key as Slack message metadata: a clock that takes over a
claim whose sender died looks for it in the DM first (`bot.effect_recovery`) and records it instead of resending.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.blocks.common import fallback_text
from bot.blocks.reviews import build_review_dm, review_fallback
from bot.checkin_delivery import retry_after
from bot.effect_recovery import effect_metadata, find_sent_message, without_blind_retries
from bot.pacing import AdaptivePacer
from bot.services import Services
from bot.services.reviews import ReviewService
from bot.slack_clients import SlackClients, SlackUnavailable
from persona_store.db import make_session_factory
from persona_store.models import utcnow

if TYPE_CHECKING:
    from bot.jobs import JobContext

log = logging.getLogger("persona_bot.reviews")

# Errors that say "not now" rather than "never": the claim is given back for the next tick.
PASSING_ERRORS = frozenset(
    {"ratelimited", "rate_limited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}
)


@dataclass
class ReviewRun:
    sent: int = 0
    failed: int = 0  # the owner can't be reached (left for admins in the overdue list)
    retry_later: int = 0  # Slack had a passing problem; the next tick asks again
    recovered: int = 0  # sent by a clock that died before recording it: found in the DM, recorded, not resent
    skipped_teams: int = 0


def send_due_reviews(
    reviews: ReviewService, client: WebClient, team_id: str, now: datetime, pacer: AdaptivePacer | None = None
) -> ReviewRun:
    """Send this workspace's review DMs that are due at `now` and not claimed yet, at `pacer`'s pace (the
    workspace's chat.postMessage pacer on the clock, shared with the check-in fan-out) when given."""
    run = ReviewRun()
    client = without_blind_retries(client)
    for request in reviews.due_reviews(team_id, now):
        claim = reviews.take(team_id, request, now)
        if claim is None:
            continue  # another clock got there first
        token = claim.token
        if claim.abandoned_at is not None:  # the dead clock may have sent it: look before sending again
            found = find_sent_message(client, request.owner, request.key, claim.abandoned_at)
            if found is not None:
                reviews.complete(team_id, request, token, ok=True, detail=f"{found.channel}:{found.ts}", now=now)
                run.recovered += 1
                continue
        sent_at = pacer.acquire() if pacer is not None else None
        try:
            answer = client.chat_postMessage(
                channel=request.owner,
                blocks=build_review_dm(request, reviews.after_days),
                text=fallback_text(review_fallback(request)),
                metadata=effect_metadata(request.key),
            )
        except SlackApiError as error:
            reason = str(error.response.get("error") or "slack_error")
            if pacer is not None and error.response.status_code == 429:  # slack-sdk's own retries gave up
                pacer.limited(retry_after(error), sent_at)
            if error.response.status_code >= 500:  # Slack may have posted it all the same: look next tick
                reviews.abandon(team_id, request, token, now)
                run.retry_later += 1
            elif reason in PASSING_ERRORS:
                reviews.release(team_id, request, token)
                run.retry_later += 1
            else:
                reviews.complete(team_id, request, token, ok=False, detail=reason, now=now)
                run.failed += 1
            log.warning("review request not sent: %s", reason, extra={"team_id": team_id})
            continue
        except (SlackClientError, OSError) as error:  # the connection dropped: the DM may or may not be in Slack
            reviews.abandon(team_id, request, token, now)
            run.retry_later += 1
            log.warning("review request not sent: %s", type(error).__name__, extra={"team_id": team_id})
            continue
        if pacer is not None:
            pacer.accepted()
        detail = f"{answer.get('channel')}:{answer.get('ts')}"
        reviews.complete(team_id, request, token, ok=True, detail=detail, now=now)
        run.sent += 1
    return run


def run_due_reviews(services: Services, slack_clients: SlackClients, now: datetime) -> ReviewRun:
    """Send every review DM that is due at `now` and not sent yet, in every workspace this process can reach."""
    run = ReviewRun()
    try:
        team_ids = slack_clients.team_ids()
    except SlackUnavailable as error:
        log.warning("reviews skipped: %s", error)
        return run
    for team_id in team_ids:
        try:
            client = slack_clients.for_team(team_id)
        except SlackUnavailable as error:
            log.warning("reviews skipped for a workspace: %s", error, extra={"team_id": team_id})
            run.skipped_teams += 1
            continue
        one = send_due_reviews(services.reviews, client, team_id, now)
        run.sent += one.sent
        run.failed += one.failed
        run.retry_later += one.retry_later
        run.recovered += one.recovered
    return run


def reconcile_reviews(ctx: JobContext, team_id: str, now: datetime | None = None) -> None:
    """The clock's review step (registered in `bot.jobs`): ask owners whose personas are due, once per cycle."""
    if ctx.engine is None:
        log.warning("reviews need the database engine in the job context; skipped")
        return
    reviews = ReviewService(make_session_factory(ctx.engine), ctx.settings)
    run = send_due_reviews(reviews, ctx.slack.for_team(team_id), team_id, now or utcnow(), ctx.pacer(team_id))
    if run.sent or run.failed:
        log.info("review requests sent", extra={"team_id": team_id, "sent": run.sent, "failed": run.failed})


__all__ = ["ReviewRun", "reconcile_reviews", "run_due_reviews", "send_due_reviews"]
