"""`persona-bot checkin open|remind|close|status` and `persona-bot scheduler` (the clock process)."""

from __future__ import annotations

from datetime import date

import click

from bot.blocks.checkins import status_lines
from bot.cli.root import CLOCK_STEPS, CLIError, Runtime, cli, friendly_errors, pass_runtime
from bot.clock.context import ClockContext
from bot.clock.fanout import DeliveryReport
from bot.clock.jobs import close_round, open_round, remind, run_scheduler
from bot.render import plural, render_part
from bot.services.rounds import NothingToCheck
from bot.slack.clients import SlackUnavailable
from bot.slack.delivery import DeliveryAborted
from persona_store.checkins import RoundClosed
from persona_store.locks import ClockAlreadyRunning, clock_lock
from persona_store.quarters import QuarterError, parse_quarter


def _context(runtime: Runtime) -> ClockContext:
    return ClockContext.of(runtime.services, runtime.slack_clients, CLOCK_STEPS)


def _quarter(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return parse_quarter(value).label
    except QuarterError:
        raise CLIError(f"a quarter looks like 2026-Q4, not {value!r}") from None


def _plain(line: str) -> str:
    """mrkdwn lines for a terminal: no stars, no escapes."""
    return line.replace("*", "").replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _report(report: DeliveryReport, what: str, plural_what: str | None = None, *, note: str | None = None) -> None:
    parts = [f"{plural(report.sent, what, plural_what)} sent"]
    if report.already_done:
        parts.append(f"{report.already_done} already done")
    if report.rate_limited:
        parts.append(plural(report.rate_limited, "rate-limit wait"))
    click.echo(", ".join(parts))
    if note:
        click.echo(note)
    for user_id, reason in report.unreachable:
        click.echo(f"unreachable: {user_id} ({reason})")
    if report.aborted:
        raise CLIError(report.aborted)
    if report.failed:
        reasons = ", ".join(sorted({reason for _, reason in report.failed}))
        raise CLIError(f"{plural(len(report.failed), what, plural_what)} could not be sent ({reasons}); run it again")


@cli.group("checkin")
def checkin_group() -> None:
    """Quarterly validation check-ins: open a round, remind, close, status."""


@checkin_group.command("open")
@click.option("--quarter", metavar="YYYY-Qn", help="The round's quarter (default: this quarter).")
@click.option("--due", "due", metavar="YYYY-MM-DD", help="Due date (default: day 14 of the quarter's round).")
@pass_runtime
@friendly_errors
def checkin_open(runtime: Runtime, quarter: str | None, due: str | None) -> None:
    """Open (or resume) the round and DM, now, every active rep who hasn't had it yet. Safe to run again."""
    try:
        due_date = date.fromisoformat(due) if due else None
    except ValueError:
        raise CLIError(f"--due must be a date like 2026-10-15, not {due!r}") from None
    team_id = runtime.team_id()
    try:
        result = open_round(_context(runtime), team_id, _quarter(quarter), due_date)
    except (RoundClosed, NothingToCheck, SlackUnavailable, DeliveryAborted) as error:
        raise CLIError(str(error)) from None
    r = result.round
    verb = "opened" if result.created else "resumed"
    click.echo(f"round {r.quarter} {verb} (due {r.due_date:%d %b %Y}); {plural(result.assigned, 'rep')} newly assigned")
    _report(result.report, "DM")


@checkin_group.command("remind")
@pass_runtime
@friendly_errors
def checkin_remind(runtime: Runtime) -> None:
    """DM a reminder to reps who have neither answered nor skipped (capped, and spaced out)."""
    try:
        info, report = remind(_context(runtime), runtime.team_id())
    except (SlackUnavailable, DeliveryAborted) as error:
        raise CLIError(str(error)) from None
    if info is None:
        raise CLIError("there is no open check-in round; open one with `persona-bot checkin open`")
    click.echo(f"round {info.quarter}:")
    holds = runtime.services.checkins.reminder_holds(runtime.team_id(), info.id)
    note = None
    if holds.any:  # so that "0 reminders sent" never stands unexplained
        spacing, cap = runtime.settings.checkin_reminder_spacing_hours, runtime.settings.checkin_max_reminders
        note = render_part("cli", "held_back", holds, spacing, cap)
    _report(report, "reminder", note=note)


@checkin_group.command("close")
@click.option("--quarter", metavar="YYYY-Qn", help="Which round (default: the open one).")
@pass_runtime
@friendly_errors
def checkin_close(runtime: Runtime, quarter: str | None) -> None:
    """Close the round (late answers are then turned away politely) and post the summary."""
    try:
        result = close_round(_context(runtime), runtime.team_id(), _quarter(quarter))
    except (SlackUnavailable, DeliveryAborted) as error:
        raise CLIError(str(error)) from None
    if result is None:
        raise CLIError("there is no check-in round to close")
    state = "closed" if result.closed_now else "was already closed"
    click.echo(f"round {result.round.quarter} {state}")
    _report(result.report, "summary", "summaries")


@checkin_group.command("status")
@click.option("--quarter", metavar="YYYY-Qn", help="Which round (default: the open one, else the latest).")
@pass_runtime
@friendly_errors
def checkin_status(runtime: Runtime, quarter: str | None) -> None:
    """Per role: sent, answered, skipped, silent (and anyone unreachable)."""
    status = runtime.services.checkins.status(runtime.team_id(), _quarter(quarter))
    if status is None:
        raise CLIError("there is no check-in round yet; open one with `persona-bot checkin open`")
    for line in status_lines(status):
        click.echo(_plain(line))
    for user_id, reason in status.unreachable:
        click.echo(f"unreachable: {user_id} ({reason})")


@cli.command("scheduler")
@pass_runtime
@friendly_errors
def scheduler(runtime: Runtime) -> None:
    """The clock: opens rounds, DMs in each rep's morning, reminds, closes. One on SQLite; several on PostgreSQL."""
    if not runtime.settings.oauth_enabled:
        runtime.settings.require("SLACK_BOT_TOKEN", command="scheduler")
    try:
        with clock_lock(runtime.engine):
            run_scheduler(_context(runtime))
    except ClockAlreadyRunning as error:
        raise CLIError(str(error)) from None
