"""Personas from a Markdown document, owners given by email, then looked up in Slack through `persona-bot serve`."""

from __future__ import annotations

import json

import pytest

from tests.e2e.conftest import E2E, STANDIN_TEAM
from tests.e2e.test_checkins import cli

pytestmark = pytest.mark.e2e

DOCUMENT = """\
# Our personas

## Ops Olga
Runs operations at a 300-person logistics firm.

- **Role:** Chief Operating Officer
- **Owner:** olga.owner@example.com

### Goals
- One view of every shipment
- Fewer tools

### Objections
- Another migration
"""


def test_a_markdown_document_with_an_email_owner_is_what_slack_shows(e2e: E2E) -> None:
    e2e.standin.add_user(STANDIN_TEAM, "U0OLGAOWN", "Olga's owner", email="olga.owner@example.com")
    document = e2e.bot.process.log_dir / f"{e2e.team_id}.md"
    document.write_text(DOCUMENT, encoding="utf-8")
    env = {**e2e.bot.env, "SLACK_TEAM_ID": e2e.team_id}
    imported = cli(env, "personas", "import", str(document))
    assert imported.returncode == 0, imported.stderr
    assert imported.stdout.strip() == f"imported 1 persona from {document.name}: 1 new, 0 changed, 0 unchanged"

    reply = e2e.client.command("olga")
    assert reply.status == 200
    card = json.dumps(reply.json()["blocks"], ensure_ascii=False)
    assert "Ops Olga" in card and "Chief Operating Officer" in card and "One view of every shipment" in card
    assert "Owner: <@U0OLGAOWN>" in card

    exported = cli(env, "personas", "export", "--format", "md")
    assert exported.returncode == 0, exported.stderr
    assert "- **Owner:** U0OLGAOWN" in exported.stdout and "### Objections\n- Another migration" in exported.stdout
