"""`persona-bot reviews [--send]`: overdue six-monthly persona reviews, and sending the owners' DMs now."""

from __future__ import annotations

import click

from bot.cli.root import CLIError, Runtime, cli, friendly_errors, pass_runtime
from bot.clock.reviews import send_due_reviews
from bot.render import plural
from bot.slack.clients import SlackUnavailable
from persona_store.models import utcnow


@cli.command("reviews")
@click.option("--send", is_flag=True, help="DM every owner whose review is due now (each is asked once per cycle).")
@pass_runtime
@friendly_errors
def reviews(runtime: Runtime, send: bool) -> None:
    """List personas overdue for their six-monthly review (REVIEW_AFTER_DAYS); --send asks their owners now."""
    team_id = runtime.team_id()
    now = utcnow()
    if send:
        try:
            client = runtime.slack_clients.for_team(team_id)
        except SlackUnavailable as error:
            raise CLIError(str(error)) from None
        run = send_due_reviews(runtime.services.reviews, runtime.services.outbox, client, team_id, now)
        click.echo(f"{plural(run.sent, 'review request')} sent")
        if run.failed:
            raise CLIError(f"{plural(run.failed, 'owner')} could not be reached; `persona-bot reviews` shows which")
    items = runtime.services.reviews.overdue(team_id, now)
    days = runtime.services.reviews.interval(team_id)
    if not items:
        click.echo(f"No reviews overdue: every active persona was reviewed within {plural(days, 'day')}.")
        return
    status = {"done": "owner asked", "failed": "owner unreachable", "pending": "being sent", None: "not asked yet"}
    click.echo(f"{plural(len(items), 'persona review')} overdue (more than {plural(days, 'day')}):")
    for item in items:
        owner = item.owner or "no owner"
        click.echo(
            f"  {item.name}  owner {owner}  last reviewed {item.reviewed_at:%Y-%m-%d}  "
            f"{plural(item.days_overdue, 'day')} overdue  {status.get(item.request_status, item.request_status or '')}"
        )
