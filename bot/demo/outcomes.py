"""Demo scene: a manager DMs a small HubSpot deal export to the bot; an owner's Home then shows a signal.

The export is made here (dates in this quarter and the last), in HubSpot's column names. IT Admin Ivan is the
persona reps have barely rated in the demo, yet he is on half of this quarter's won deals: the signal "reps rarely
meet Ivan, yet he's on …% of won deals" shows on his owner's Home.
"""

from __future__ import annotations

import csv
import io
import time
from datetime import date, timedelta

from bot.demo.world import TEAM_ID, DemoWorld
from bot.render import render_part
from persona_store.models import utcnow
from persona_store.quarters import current_quarter
from slack_standin import SlackStandin

IVAN_OWNER = "U0OWNER2"

# (persona as the CRM spells it, won, lost) this quarter; last quarter everyone wins half.
THIS_QUARTER = [
    ("IT Admin Ivan", 8, 2),
    ("Marketing Director Mary", 4, 3),
    ("finance-fiona", 3, 1),
    ("RevOps Rik", 1, 2),
]
UNMATCHED = ("Procurement Pat", 1, 1)


def demo_export(today: date | None = None) -> bytes:
    """A HubSpot-shaped deal export for the demo personas, as bytes."""
    today = today or utcnow().date()
    quarter = current_quarter()
    this_close = max(quarter.start, today - timedelta(days=1))
    last_close = quarter.previous().start + timedelta(days=30)
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(
        [
            "Record ID",
            "Deal Name",
            "Deal Stage",
            "Amount",
            "Create Date",
            "Close Date",
            "Closed Lost Reason",
            "Last Stage Before Lost",
            "Persona",
        ]
    )
    number = 1000
    for close, plan in (
        (this_close, [*THIS_QUARTER, UNMATCHED]),
        (last_close, [(p, 2, 2) for p, _, _ in THIS_QUARTER]),
    ):
        for persona, won, lost in plan:
            for i in range(won + lost):
                number += 1
                outcome = "Closed Won" if i < won else "Closed Lost"
                w.writerow(
                    [
                        f"DEAL-{number}",
                        f"{persona} deal {number}",
                        outcome,
                        f"{12000 + 500 * i}.00",
                        (close - timedelta(days=20 + 7 * i)).isoformat(),
                        close.isoformat(),
                        "" if i < won else ("Price" if i % 2 else "Timing"),
                        "" if i < won else "Evaluation",
                        persona,
                    ]
                )
    return out.getvalue().encode("utf-8")


def scene_manager_imports_deals(world: DemoWorld) -> None:
    manager = world.person_by_role("sales", manager=True)
    dm = SlackStandin.dm_channel_id(manager)
    world.act(manager, "sends hubspot-deals.csv to persona-bot in a direct message")
    shared = world.standin.add_file(TEAM_ID, manager, "hubspot-deals.csv", demo_export())
    before = len(world.standin.messages(dm))
    event = {
        "type": "message",
        "subtype": "file_share",
        "channel_type": "im",
        "channel": dm,
        "user": manager,
        "text": "",
        "ts": f"{time.time():.6f}",
        "files": [{"id": shared.file_id}],
    }
    world.client.event(event)
    answer = world.standin.wait_for(
        lambda: [m for m in world.standin.messages(dm)[before:] if "Imported" in str(m.get("blocks"))], timeout=30
    )[0]
    world.show("persona-bot answers in the DM", answer)

    world.act(IVAN_OWNER, "(IT Admin Ivan's owner) opens persona-bot's Home tab")
    published = len(world.standin.calls("views.publish"))
    world.client.app_home_opened(IVAN_OWNER)
    world.standin.wait_for(lambda: len(world.standin.calls("views.publish")) > published, timeout=10)
    home = world.standin.home_view(TEAM_ID, IVAN_OWNER) or {}
    signal = next(
        (b for b in home.get("blocks") or [] if "Outcomes for your personas" in str(b.get("text", {}).get("text"))),
        None,
    )
    world.show("the outcomes part of their Home tab", {"blocks": [signal]} if signal else {"text": "(no signal)"})
    world.echo("")
    world.echo(render_part("outcomes", "verdict_note"))


OUTCOME_SCENES = [scene_manager_imports_deals]
