"""Demo scenes: a whole quarterly check-in round: DMs, two reps answering, one skipping, a reminder, the close."""

from __future__ import annotations

from typing import Any

import click

from bot import ids
from bot.blocks.checkins import build_status
from bot.clock import jobs
from bot.clock.context import ClockContext
from bot.demo.world import DemoWorld
from bot.render import plural
from bot.services.checkins import CheckinService
from bot.slack.clients import SlackClients
from persona_store.quarters import quarter_of
from slack_standin import SlackStandin


def _context(world: DemoWorld) -> ClockContext:
    # The demo is quick: no spacing between invitation and reminder, and a brisk pace against the stand-in.
    settings = world.settings.with_overrides(checkin_reminder_spacing_hours=0, slack_post_rate=50.0)
    engine = world.services.sessions.kw["bind"]
    service = CheckinService(world.services.sessions, settings)
    return ClockContext(settings, service, SlackClients(settings), engine, reports=world.services.reports)


def _dm(world: DemoWorld, user_id: str) -> dict[str, Any]:
    channel = SlackStandin.dm_channel_id(user_id)
    return next(m for m in world.standin.messages(channel) if "check-in" in str(m.get("text")))


def _element(message: dict[str, Any], action_id: str) -> dict[str, Any]:
    return next(
        e for b in message["blocks"] if b["type"] == "actions" for e in b["elements"] if e["action_id"] == action_id
    )


def _checkin_view(world: DemoWorld, rep: str) -> dict[str, Any]:
    view = world.standin.last_view(rep) or {}
    return view if view.get("callback_id") == ids.VIEW_CHECKIN else {}


def _answer(world: DemoWorld, rep: str, fits: list[str]) -> None:
    dm = _dm(world, rep)
    start = _element(dm, ids.ACTION_CHECKIN_START)
    world.act(rep, "clicks “Start” in the check-in DM")
    world.client.block_action(start["action_id"], start["value"], user_id=rep, message=dm)
    view: dict[str, Any] = world.standin.wait_for(lambda: _checkin_view(world, rep), timeout=10)
    page = 0
    while view.get("submit"):
        if page == 0:
            world.show("the modal's first page", view)
        fit = fits[page % len(fits)]
        answers: dict[str | tuple[str, str], Any] = {ids.ACTION_FEEDBACK_FIT: fit}
        for block in view["blocks"]:  # the few statements picked for this rep (the adaptive selection)
            if str(block.get("block_id", "")).startswith(ids.BLOCK_FEEDBACK_ATTRIBUTE):
                answers[(block["block_id"], ids.ACTION_FEEDBACK_VERDICT)] = "matches" if int(fit) >= 3 else "partly"
        reply = world.client.view_submission_from(view, answers, user_id=rep).json()
        view = {**reply["view"], "id": view["id"]}
        page += 1
    world.echo(f"  … answered {plural(page, 'page')}")
    world.show("the last page", view)
    world.standin.wait_for(lambda: "Thank you" in str(_dm(world, rep)["blocks"]))
    world.show("the DM now reads", _dm(world, rep))


def scene_checkin_round(world: DemoWorld) -> None:
    ctx = _context(world)
    quarter = quarter_of(ctx.checkins._clock().date()).label
    world.echo("")
    world.echo(click.style(f"▶ The clock opens the {quarter} check-in round (`persona-bot checkin open`)", bold=True))
    team_id = ctx.settings.slack_team_id or ""
    opened = jobs.open_round(ctx, team_id, quarter)
    world.echo(f"  {plural(opened.report.sent, 'DM')} sent, one per rep on the roster, each in their own DM")
    reps = [world.person_by_role("sales", manager=False), world.person_by_role("success")]
    skipper = world.person_by_role("onboarding")
    world.show(f"{world.name(reps[0])} gets", _dm(world, reps[0]))

    _answer(world, reps[0], ["4", "5", "3"])
    _answer(world, reps[1], ["2", "4"])

    dm = _dm(world, skipper)
    skip = _element(dm, ids.ACTION_CHECKIN_SKIP)
    world.act(skipper, "picks “Skip this quarter… → I'm on leave”")
    world.client.block_action(
        skip["action_id"], user_id=skipper, message=dm, selected_option=skip["options"][0]["value"]
    )
    world.standin.wait_for(lambda: "skipping" in str(_dm(world, skipper)["blocks"]))
    world.show("the DM now reads", _dm(world, skipper))

    world.echo("")
    world.echo(click.style("▶ A reminder goes out (`persona-bot checkin remind`)", bold=True))
    _, reminded = jobs.remind(ctx, team_id)
    world.echo(f"  {plural(reminded.sent, 'reminder')}, only to reps who neither answered nor skipped")
    silent = next(
        c.params["channel"]
        for c in world.standin.calls("chat.postMessage")
        if str(c.params.get("text", "")).startswith("Reminder")
    )
    reminder = [m for m in world.standin.messages(SlackStandin.dm_channel_id(silent)) if "Reminder" in m["text"]][-1]
    world.show(f"{world.name(silent)} gets", reminder)

    world.echo("")
    world.echo(click.style("▶ The round closes (`persona-bot checkin close`)", bold=True))
    status = ctx.checkins.status(team_id)
    if status is not None:
        world.show("`/persona checkin status` before the close", {"blocks": build_status(status)})
    closed = jobs.close_round(ctx, team_id)
    assert closed is not None
    target = ctx.settings.report_channel or next(
        c.params["channel"] for c in world.standin.calls("chat.postMessage") if "results" in str(c.params.get("text"))
    )
    summary = world.standin.wait_for(
        lambda: [m for m in world.standin.messages() if "results" in m["text"] and m["channel"].endswith(target[1:])]
    )
    world.show(f"{world.name(target)} (a manager) gets", summary[-1])
    charts = [u for u in world.standin.uploads() if u.is_image]
    if charts:  # the fit-by-role chart goes under the summary, before the workbook
        (world.out_dir / f"summary-{charts[0].filename}").write_bytes(charts[0].content)
        world.echo(f"  … under it the chart {charts[0].filename}, alt text: {charts[0].alt_text}")
    uploads = [u for u in world.standin.uploads() if not u.is_image]
    if uploads:
        world.echo(
            f"  … and under it the quarter's workbook, {uploads[0].filename} ({len(uploads[0].content):,} bytes);"
            f" {plural(len(uploads), 'manager')} got both"
        )
    world.act(silent, "clicks “Start” on the old DM after the close")
    start = _element(_dm(world, silent), ids.ACTION_CHECKIN_START)
    before = len(world.standin.response_posts())
    world.client.block_action(start["action_id"], start["value"], user_id=silent, message=_dm(world, silent))
    world.standin.wait_for(lambda: len(world.standin.response_posts()) > before, timeout=10)
    world.show("only they see", world.standin.response_posts()[-1].body)


CHECKIN_SCENES = [scene_checkin_round]
