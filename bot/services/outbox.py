"""The one outbox: every message the clock sends (check-in invites, reminders, snoozes, summaries, workbooks, review
requests) claimed, completed, released and taken over in the ledger (`persona_store.effects`). One transaction
each; no Slack calls (the sender is `bot.slack.delivery.deliver_once`)."""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Protocol

from sqlalchemy.orm import Session, sessionmaker

from bot.config import Settings
from persona_store import checkins as store
from persona_store import effects
from persona_store.checkins import ClaimState
from persona_store.locks import process_owner
from persona_store.models import utcnow
from persona_store.question_selection import CheckinEstimate, estimate
from persona_store.reviews import REVIEW_LEASE
from persona_store.workspaces import ensure_workspace

ROUND_KINDS = ("summary", "chart", "workbook")  # per round, not per rep: no participation to check or update


@dataclass(frozen=True)
class CheckedPersona:
    """A persona a rep checks in a round, as its check-in message names it."""

    id: int
    name: str
    role: str
    statements: int = 0  # how many statements it has (the time estimate asks at most DEFAULT_CAP of them)


@dataclass(frozen=True)
class Outgoing:
    """One message of a round to one person, with its ledger key and everything its blocks need."""

    key: str
    kind: str  # invite | reminder | snooze | summary | chart | workbook
    round_id: int
    quarter: str
    due_date: date
    user_id: str  # the rep, or the summary's target (a channel or a manager)
    number: int = 0  # reminder number
    personas: tuple[CheckedPersona, ...] = ()
    dm_channel: str | None = None
    dm_ts: str | None = None

    @property
    def estimate(self) -> CheckinEstimate:
        """The real number of questions and the minutes they take (the same estimate Home shows)."""
        return estimate(tuple(p.statements for p in self.personas))


class Item(Protocol):
    """What the outbox holds: a check-in `Outgoing`, or a review request (kind "review")."""

    @property
    def key(self) -> str: ...
    @property
    def kind(self) -> str: ...


class OutboxService:
    """The outbox; `for_team` binds it to one workspace (what `deliver_once` takes as its ledger)."""

    def __init__(
        self, sessions: sessionmaker[Session], settings: Settings, clock: Callable[[], datetime] = utcnow
    ) -> None:
        self._sessions = sessions
        self._settings = settings
        self._clock = clock
        self._team_id = ""
        self._known: int | None = None

    def for_team(self, team_id: str, now: datetime | None = None) -> OutboxService:
        """This outbox for one workspace; with `now`, on a clock stopped there (a review tick's time)."""
        bound = copy.copy(self)
        bound._team_id, bound._known = team_id, None
        if now is not None:
            bound._clock = lambda: now
        return bound

    def _workspace_id(self, s: Session) -> int:
        """The workspace's id, remembered: a fan-out asks for it twice per message (a workspace is never deleted
        while its messages are being sent; uninstalling only marks it)."""
        if self._known is None:
            self._known = ensure_workspace(s, self._team_id).id
        return self._known

    def _lease(self, item: Item) -> timedelta:
        if item.kind == "review":
            return REVIEW_LEASE
        return timedelta(seconds=self._settings.checkin_claim_lease_seconds)

    def new_token(self, item: Item) -> str:
        """A claim token naming this process, so that a run after this process dies takes its claims over at once
        (`persona_store.locks`). An upload can't be looked up in the DM: its claims are taken over only after the
        lease."""
        if item.kind == "workbook":
            return uuid.uuid4().hex
        return process_owner(self._sessions.kw["bind"]).token()

    def done_with(self, token: str) -> None:
        """The sender is finished with `token` (sent, failed, released or died): see `new_token`."""
        process_owner(self._sessions.kw["bind"]).done(token)

    def claim(self, item: Item, token: str) -> bool:
        """Claim one message before sending it (committed on return); False: sent, taken, or no longer wanted."""
        return self.take(item, token) is not None

    def take(self, item: Item, token: str) -> effects.Claim | None:
        """`claim`, also saying when this took over an abandoned claim (whose message may already be in Slack)."""
        now = self._clock()
        with self._sessions.begin() as s:
            workspace_id = self._workspace_id(s)
            if isinstance(item, Outgoing) and item.kind not in ROUND_KINDS:
                state = store.claim_state(s, workspace_id, item.round_id, item.user_id)
                if state is None or state.round_status != "open" or not _still_wanted(item, state):
                    return None
            return effects.take(s, workspace_id, item.key, token, now, self._lease(item))

    def undone(self, keys: Sequence[str]) -> set[str]:
        """Which of these ledger keys are not done (or failed) yet: lets the clock skip finished work cheaply."""
        with self._sessions.begin() as s:
            return set(keys) - effects.finished(s, self._workspace_id(s), keys)

    def record(self, item: Item, detail: str) -> bool:
        """Nothing to send, ever (an empty workbook): recorded as done, so later ticks don't try again."""
        with self._sessions.begin() as s:
            return effects.record(s, self._workspace_id(s), item.key, self._clock(), detail)

    def renew(self, item: Item, token: str) -> bool:
        with self._sessions.begin() as s:
            return effects.renew(s, self._workspace_id(s), item.key, token, self._clock())

    def abandon(self, item: Item, token: str) -> None:
        """Give up a send whose outcome is unknown; the next run takes it over and looks before sending."""
        with self._sessions.begin() as s:
            effects.abandon(s, self._workspace_id(s), item.key, token, self._clock(), self._lease(item))

    def release(self, item: Item, token: str) -> None:
        """Nothing was sent (a passing failure): a later run may claim it afresh."""
        with self._sessions.begin() as s:
            effects.release(s, self._workspace_id(s), item.key, token)

    def complete(self, item: Item, token: str, channel: str | None, ts: str | None) -> bool:
        """Record a message Slack accepted: the ledger row and the rep's participation, in one transaction. A review
        request keeps its `channel:ts`: the only message a review answer may update."""
        now = self._clock()
        detail = f"{channel}:{ts}" if item.kind == "review" else ts
        with self._sessions.begin() as s:
            if not effects.complete(s, self._workspace_id(s), item.key, token, now, detail=detail):
                return False
            if not isinstance(item, Outgoing):
                return True
            if item.kind == "invite":
                store.update_participation(s, item.round_id, item.user_id, sent_at=now, dm_channel=channel, dm_ts=ts)
            elif item.kind == "reminder":
                store.update_participation(
                    s, item.round_id, item.user_id, reminder_count=item.number, last_reminded_at=now
                )
            elif item.kind == "snooze":
                store.update_participation(s, item.round_id, item.user_id, snoozed_until=None, last_reminded_at=now)
            return True

    def unreachable(self, item: Item, token: str, reason: str) -> None:
        """Slack can't deliver to this person (deactivated, not found): recorded once, never retried."""
        now = self._clock()
        with self._sessions.begin() as s:
            effects.complete(s, self._workspace_id(s), item.key, token, now, status=effects.FAILED, detail=reason)
            if not isinstance(item, Outgoing) or item.kind in ROUND_KINDS:
                return
            p = store.get_participation(s, item.round_id, item.user_id)
            if p is not None and p.unreachable_at is None:
                p.unreachable_at, p.unreachable_reason = now, reason[:64]


def _still_wanted(item: Outgoing, state: ClaimState) -> bool:
    if state.unreachable_at is not None:
        return False
    if item.kind == "invite":
        return state.sent_at is None
    if item.kind == "reminder":
        return state.silent and state.reminder_count == item.number - 1
    return state.silent and state.snoozed_until is not None
