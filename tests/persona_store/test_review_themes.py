"""The review digest groups "what's missing" into themes: each person's latest text, the review window only."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from bot.blocks.limits import assert_valid_blocks
from bot.blocks.reviews import build_review_dm
from bot.services.reviews import ReviewRequest
from persona_store.models import Feedback
from persona_store.quarters import parse_period
from persona_store.reviews import TOP_THEMES, MissingNote, ReviewDigest, review_digest
from persona_store.themes import Theme
from tests.persona_store.test_reviews import add_persona

NOW = datetime(2026, 8, 15, 12, 0, tzinfo=UTC)  # the window starts on 1 April


def say(s: Session, workspace_id: int, persona_id: int, author: str, role: str, when: datetime, text: str) -> None:
    s.add(
        Feedback(
            workspace_id=workspace_id,
            persona_id=persona_id,
            revision_number=1,
            submission_key=f"{author}-{when.isoformat()}",
            author_id=author,
            author_role=role,
            source="adhoc",
            fit=3,
            missing_text=text,
            created_at=when,
            updated_at=when,
        )
    )


def test_the_digest_carries_themes_counted_in_people(sessions: sessionmaker[Session], workspace_id: int) -> None:
    with sessions.begin() as s:
        mary = add_persona(s, workspace_id, "Mary")
        fiona = add_persona(s, workspace_id, "Fiona")
        may, june = datetime(2026, 5, 2, tzinfo=UTC), datetime(2026, 6, 2, tzinfo=UTC)
        say(s, workspace_id, mary, "U1", "sales", may, "Pricing for small teams")
        say(s, workspace_id, mary, "U1", "sales", june, "Price for small teams is too high")  # U1 again: once
        say(s, workspace_id, mary, "U2", "success", june, "price, small teams")
        say(s, workspace_id, mary, "U3", "onboarding", june, "Needs SSO")
        say(s, workspace_id, mary, "U4", "sales", datetime(2026, 3, 1, tzinfo=UTC), "Pricing small teams (too old)")
        say(s, workspace_id, fiona, "U5", "sales", june, "pricing small teams")  # another persona
    with sessions.begin() as s:
        digest = review_digest(s, workspace_id, mary, NOW)
    top = digest.themes[0]
    assert (top.people, top.roles) == (2, ("sales", "success"))
    assert [t.people for t in digest.themes] == [2, 1] and len(digest.themes) <= TOP_THEMES


def test_the_review_dm_shows_themes_only_when_people_share_one() -> None:
    shared = Theme("Price small teams <!channel>", 3, ("sales", "success"), "Price for small teams <@U0BOSS>")
    digest = ReviewDigest(
        since=NOW - timedelta(days=120),
        period=parse_period("2026-Q3"),
        evidence=None,
        missing=(MissingNote("Needs SSO", "sales", NOW),),
        themes=(shared,),
    )
    blocks = build_review_dm(ReviewRequest(7, "Mary", "Role", "U0OWNER", 1, "review:7:1", NOW, digest), 182)
    assert_valid_blocks(blocks)
    text = json.dumps(blocks)
    assert "What's missing, by theme" in text and "3 people (Sales, Customer success)" in text
    assert "<!channel>" not in text and "<@U0BOSS>" not in text
    lone = ReviewDigest(
        since=NOW - timedelta(days=120),
        period=parse_period("2026-Q3"),
        evidence=None,
        missing=(),
        themes=(Theme("SSO", 1, ("sales",), "Needs SSO"),),
    )
    blocks = build_review_dm(ReviewRequest(7, "Mary", "Role", "U0OWNER", 1, "review:7:1", NOW, lone), 182)
    assert "by theme" not in json.dumps(blocks)
