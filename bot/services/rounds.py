"""Check-in rounds: their plan, opening and closing, who is on them, and which of their messages are due.

Each method is one transaction and none calls Slack: the fan-out asks what is due here, and claims and completes each
message in the outbox (`bot.services.outbox`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from bot.config import Settings
from bot.services.access import Access, ClockedService
from bot.services.outbox import CheckedPersona, Outgoing
from persona_store import checkins as store
from persona_store.checkins import Assignment, RoundClosed
from persona_store.models import CheckinRound, Participation, Persona, utcnow
from persona_store.personas import list_personas
from persona_store.quarters import quarter_of
from persona_store.roster import withdraw_unasked
from persona_store.schedule import RoundPlan, current_period
from persona_store.workspace_settings import WorkspaceSettings, load_settings
from persona_store.workspaces import ensure_workspace

Clock = Callable[[], datetime]


class NothingToCheck(ValueError):
    """A round needs at least one active persona; the message is one line for a person."""


@dataclass(frozen=True)
class RoundInfo:
    id: int
    quarter: str
    status: str
    due_date: date
    opened_at: datetime
    closed_at: datetime | None

    @classmethod
    def of(cls, r: CheckinRound) -> RoundInfo:
        return cls(r.id, r.quarter, r.status, r.due_date, r.opened_at, r.closed_at)


@dataclass(frozen=True)
class MemberRef:
    """A roster member about to join a round; `timezone` is the roster's (None: ask Slack)."""

    user_id: str
    role: str
    timezone: str | None


@dataclass(frozen=True)
class ReminderHolds:
    """Silent reps `checkin remind` leaves alone for now, and why."""

    spacing: int = 0  # reminded (or invited) within CHECKIN_REMINDER_SPACING_HOURS
    next_due: datetime | None = None  # when the first of those may be reminded
    capped: int = 0  # had every reminder (CHECKIN_MAX_REMINDERS)
    snoozed: int = 0  # asked to be reminded tomorrow: that reminder comes instead

    @property
    def any(self) -> bool:
        return bool(self.spacing or self.capped or self.snoozed)


class CheckinBase(ClockedService):
    """What the check-in use cases share: sessions, settings, a clock, who may do what, the workspace's schedule."""

    def __init__(
        self, sessions: sessionmaker[Session], settings: Settings, clock: Clock = utcnow, access: Access | None = None
    ) -> None:
        super().__init__(sessions, settings, clock, access)
        self._workspace_ids: dict[str, int] = {}

    def _schedule(self, s: Session, workspace_id: int) -> WorkspaceSettings:
        """The workspace's settings (`/persona settings`) over the environment's defaults, read afresh each call."""
        return load_settings(s, workspace_id, self._settings.workspace_defaults())


class Rounds(CheckinBase):
    def plan(self, due_date: date, ws: WorkspaceSettings | None = None) -> RoundPlan:
        w = ws or self._settings.workspace_defaults()
        return RoundPlan(due_date, w.open_hour, w.reminder_days, w.close_day, frozenset(w.quiet_days))

    def quarter_plan(self, quarter: str, ws: WorkspaceSettings | None = None) -> RoundPlan:
        w = ws or self._settings.workspace_defaults()
        plan = RoundPlan.for_quarter(quarter, w.open_hour, w.reminder_days, w.close_day)
        return self.plan(plan.due_date, w)

    def default_due(self, quarter: str, today: date, ws: WorkspaceSettings | None = None) -> date:
        """The quarter's scheduled due date; a round opened after it gets the usual length from today."""
        w = ws or self._settings.workspace_defaults()
        due = self.quarter_plan(quarter, w).due_date
        return due if due >= today else today + timedelta(days=w.close_day - 1)

    def reminder_cap(self, team_id: str) -> int:
        """How many reminders a rep gets at most in this workspace (the DM says "reminder 1 of N")."""
        with self._sessions.begin() as s:
            return self._schedule(s, ensure_workspace(s, team_id).id).max_reminders

    def open_round(self, team_id: str, quarter: str | None = None, due: date | None = None) -> tuple[RoundInfo, bool]:
        """Open (or resume) the round for `quarter` (default: this quarter); RoundClosed if it already closed."""
        now = self._clock()
        quarter = quarter or quarter_of(now.date()).label
        with self._sessions.begin() as s:
            workspace = ensure_workspace(s, team_id)
            if store.round_for_quarter(s, workspace.id, quarter) is None and not list_personas(s, workspace.id):
                raise NothingToCheck("there are no active personas to check: import some first")
            due_date = due or self.default_due(quarter, now.date(), self._schedule(s, workspace.id))
            found, created = store.open_round(s, workspace.id, quarter, due_date, now)
            if found.status != "open":
                raise RoundClosed(f"the {quarter} round closed on {found.closed_at:%d %b %Y}")
            if not created and due is not None and found.due_date != due:
                found.due_date = due
            return RoundInfo.of(found), created

    def scheduled_round(self, team_id: str) -> RoundInfo | None:
        """The clock's job: the current period's round (the quarter, or the N-week or N-month period the
        workspace's cadence says, labelled `2026-Q4`, `2026-Q4.02` …), opened once its day 1 has begun somewhere
        on Earth. A period whose round would already be over (the clock was down for the whole of it) is not
        opened.
        """
        now = self._clock()
        with self._sessions.begin() as s:
            workspace = ensure_workspace(s, team_id)
            ws = self._schedule(s, workspace.id)
            label, start = current_period(now, ws.cadence, ws.cadence_every)
            existing = store.round_for_quarter(s, workspace.id, label)
            if existing is not None:
                return RoundInfo.of(existing)
            plan = self.plan(RoundPlan.for_period(start, ws.open_hour, ws.reminder_days, ws.close_day).due_date, ws)
            if now < plan.opens_at() or now >= plan.close_at([self._settings.default_timezone]):
                return None
            if not list_personas(s, workspace.id):
                return None  # nothing to check yet; the clock looks again next tick
            found, _ = store.open_round(s, workspace.id, label, plan.due_date, now)
            return RoundInfo.of(found)

    def open_rounds(self, team_id: str) -> list[RoundInfo]:
        with self._sessions.begin() as s:
            workspace = ensure_workspace(s, team_id)
            return [RoundInfo.of(r) for r in store.open_rounds(s, workspace.id)]

    def current_round(self, team_id: str) -> RoundInfo | None:
        """The open round with the latest quarter, else the latest round."""
        with self._sessions.begin() as s:
            workspace = ensure_workspace(s, team_id)
            found = store.latest_open_round(s, workspace.id) or store.latest_round(s, workspace.id)
            return RoundInfo.of(found) if found else None

    def find_round(self, team_id: str, quarter: str) -> RoundInfo | None:
        with self._sessions.begin() as s:
            workspace = ensure_workspace(s, team_id)
            found = store.round_for_quarter(s, workspace.id, quarter)
            return RoundInfo.of(found) if found else None

    def recently_closed(self, team_id: str, within: timedelta) -> list[RoundInfo]:
        """Rounds closed in the last `within` (the clock re-checks that their summaries went out)."""
        since = self._clock() - within
        with self._sessions.begin() as s:
            workspace = ensure_workspace(s, team_id)
            return [
                RoundInfo.of(r)
                for r in store.closed_rounds(s, workspace.id)
                if r.closed_at is not None and r.closed_at >= since
            ]

    def close_due(self, team_id: str, round_id: int) -> bool:
        """True when the round's due date is over in every participant's zone."""
        now = self._clock()
        with self._sessions.begin() as s:
            workspace = ensure_workspace(s, team_id)
            found = store.get_round(s, workspace.id, round_id)
            if found is None or found.status != "open":
                return False
            zones = {p.timezone for p in store.participations(s, round_id)}
            plan = self.plan(found.due_date, self._schedule(s, workspace.id))
            return now >= plan.close_at(zones | {self._settings.default_timezone})

    def close(self, team_id: str, round_id: int) -> bool:
        """Close the round; True for the one caller that closed it (a second close is a no-op)."""
        with self._sessions.begin() as s:
            workspace = ensure_workspace(s, team_id)
            withdraw_unasked(s, workspace.id, round_id)  # managers and observers are never counted as silent
            return store.close_round(s, workspace.id, round_id, self._clock())

    # --- assignment -------------------------------------------------------------------------------------------

    def unassigned(self, team_id: str, round_id: int) -> list[MemberRef]:
        """Active roster members not on the round yet who have something to check (a role no persona names, when
        every persona names roles, is left out: asking them would be noise)."""
        with self._sessions.begin() as s:
            workspace = ensure_workspace(s, team_id)
            personas = list_personas(s, workspace.id)
            members = store.unassigned_members(s, workspace.id, round_id)
            return [
                MemberRef(m.slack_user_id, m.role, m.timezone)
                for m in members
                if store.personas_for_role(personas, m.role)
            ]

    def assign(self, team_id: str, round_id: int, assignments: Sequence[Assignment]) -> int:
        with self._sessions.begin() as s:
            ensure_workspace(s, team_id)
            return store.assign(s, round_id, assignments, self._clock())

    # --- what is due ------------------------------------------------------------------------------------------

    def _outgoing(
        self,
        s: Session,
        r: CheckinRound,
        p: Participation,
        personas: list[Persona],
        kind: str,
        part: int | str | None = None,
    ) -> Outgoing:
        refs = tuple(
            CheckedPersona(x.id, x.name, x.role, len(x.attributes())) for x in store.personas_for_role(personas, p.role)
        )
        number = int(part) if kind == "reminder" and part is not None else 0
        return Outgoing(
            key=store.effect_key(r.id, p.slack_user_id, kind, part),
            kind=kind,
            round_id=r.id,
            quarter=r.quarter,
            due_date=r.due_date,
            user_id=p.slack_user_id,
            number=number,
            personas=refs,
            dm_channel=p.dm_channel,
            dm_ts=p.dm_ts,
        )

    def invites_due(self, team_id: str, round_id: int, *, now_for_everyone: bool) -> list[Outgoing]:
        """Invitations not sent yet: to everyone (`checkin open`), or to those whose local morning has come."""
        now = self._clock()
        with self._sessions.begin() as s:
            r = _open_round(s, team_id, round_id)
            if r is None:
                return []
            plan = self.plan(r.due_date, self._schedule(s, r.workspace_id))
            personas = list_personas(s, r.workspace_id)
            rostered = store.active_member_ids(s, r.workspace_id)
            return [
                self._outgoing(s, r, p, personas, "invite")
                for p in store.participations(s, round_id)
                if p.sent_at is None
                and p.unreachable_at is None
                and p.slack_user_id in rostered  # taken off the roster before their morning: not asked
                and (now_for_everyone or plan.invite_at(p.timezone) <= now)
            ]

    def reminders_due(self, team_id: str, round_id: int, *, scheduled: bool) -> list[Outgoing]:
        """Reminders for reps who have neither answered nor skipped, within the cap and the spacing.

        `scheduled` (the clock) also waits for the reminder days in each rep's zone; `checkin remind` doesn't.
        """
        now = self._clock()
        spacing = timedelta(hours=self._settings.checkin_reminder_spacing_hours)
        with self._sessions.begin() as s:
            r = _open_round(s, team_id, round_id)
            if r is None:
                return []
            ws = self._schedule(s, r.workspace_id)
            cap = ws.max_reminders
            plan = self.plan(r.due_date, ws)
            personas = list_personas(s, r.workspace_id)
            due: list[Outgoing] = []
            rostered = store.active_member_ids(s, r.workspace_id)
            for p in store.participations(s, round_id):
                if not _silent(p) or p.slack_user_id not in rostered or _reminder_hold(p, now, cap, spacing):
                    continue
                if scheduled and plan.reminders_due(p.timezone, now) <= p.reminder_count:
                    continue
                due.append(self._outgoing(s, r, p, personas, "reminder", p.reminder_count + 1))
            return due

    def reminder_holds(self, team_id: str, round_id: int) -> ReminderHolds:
        """Why silent reps get no reminder now (`checkin remind` says so): spacing, the cap, or a snooze."""
        now = self._clock()
        spacing = timedelta(hours=self._settings.checkin_reminder_spacing_hours)
        spaced: list[datetime] = []
        capped = snoozed = 0
        with self._sessions.begin() as s:
            workspace = ensure_workspace(s, team_id)
            cap = self._schedule(s, workspace.id).max_reminders  # the workspace's `/persona settings`
            rostered = store.active_member_ids(s, workspace.id)
            for p in store.participations(s, round_id):
                if not _silent(p) or p.slack_user_id not in rostered:
                    continue
                hold = _reminder_hold(p, now, cap, spacing)
                if hold == "cap":
                    capped += 1
                elif hold == "snoozed":
                    snoozed += 1
                elif hold == "spacing":
                    spaced.append(_last_contact(p) + spacing)
        return ReminderHolds(len(spaced), min(spaced, default=None), capped, snoozed)

    def snoozes_due(self, team_id: str, round_id: int) -> list[Outgoing]:
        """ "Remind me tomorrow" reminders whose morning has come."""
        now = self._clock()
        with self._sessions.begin() as s:
            r = _open_round(s, team_id, round_id)
            if r is None:
                return []
            personas = list_personas(s, r.workspace_id)
            return [
                self._outgoing(s, r, p, personas, "snooze", f"{p.snoozed_until:%Y%m%dT%H%M}")
                for p in store.participations(s, round_id)
                if _silent(p) and p.snoozed_until is not None and p.snoozed_until <= now
            ]

    def round_info(self, team_id: str, round_id: int) -> RoundInfo | None:
        with self._sessions.begin() as s:
            workspace = ensure_workspace(s, team_id)
            found = store.get_round(s, workspace.id, round_id)
            return RoundInfo.of(found) if found else None


def _open_round(s: Session, team_id: str, round_id: int) -> CheckinRound | None:
    r = store.get_round(s, ensure_workspace(s, team_id).id, round_id)
    return r if r is not None and r.status == "open" else None


def _last_contact(p: Participation) -> datetime:
    return max(t for t in (p.sent_at, p.last_reminded_at) if t is not None)


def _reminder_hold(p: Participation, now: datetime, cap: int, spacing: timedelta) -> str | None:
    """Why a silent rep gets no reminder now: "cap", "snoozed", "spacing", or None (one may go out)."""
    if p.reminder_count >= cap:
        return "cap"
    if p.snoozed_until is not None:
        return "snoozed"  # they chose when to be reminded: their snooze reminder replaces this one
    if now - _last_contact(p) < spacing:
        return "spacing"
    return None


def _silent(p: Participation) -> bool:
    return p.sent_at is not None and p.answered_at is None and p.skipped_at is None and p.unreachable_at is None
