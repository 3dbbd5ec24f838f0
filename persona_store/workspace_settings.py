"""A workspace's own settings (schedule, where summaries go, privacy): stored overrides over the environment's
defaults, validated in one place, every change recorded with who made it and when. Queries never commit.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from persona_store.evidence import EvidenceRules
from persona_store.models import SettingsChange, WorkspaceSettingsRow, utcnow
from persona_store.schedule import period_days

CADENCES = ("quarterly", "weeks", "months")
EVERY_MAX = 12
REMINDER_CAP_MAX = 10
CLOSE_DAY_MAX = 60
QUIET_DAYS_MAX = 60
REVIEW_DAYS_MAX = 3 * 365
GROUP_SIZE_MAX = 50
_CHANNEL = re.compile(r"^[CG][A-Z0-9]{2,}$")


class SettingsInvalid(ValueError):
    """Settings a person typed were refused; `problems` maps each field to a one-line reason."""

    def __init__(self, problems: Mapping[str, str]) -> None:
        self.problems = dict(problems)
        super().__init__("; ".join(self.problems.values()))


@dataclass(frozen=True)
class WorkspaceSettings:
    """Everything an admin can change in `/persona settings`. Field names are the stored keys."""

    cadence: str = "quarterly"  # quarterly | weeks | months
    cadence_every: int = 1  # every N weeks or months (ignored for quarterly)
    open_hour: int = 10
    reminder_days: tuple[int, ...] = (3, 7)
    close_day: int = 14
    max_reminders: int = 2
    quiet_days: tuple[date, ...] = ()
    summary_channel: str | None = None  # None: each manager on the roster gets the summary as a DM
    anonymous: bool = False
    min_group_size: int = 3
    review_after_days: int = 182
    outcomes_on_card: bool = False  # the public card may show one outcome line (deals won); off by default

    def evidence_rules(self) -> EvidenceRules:
        """What the evidence model needs: the review clock and, with anonymous ratings, the minimum group."""
        return EvidenceRules.of(self.review_after_days, self.anonymous, self.min_group_size)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if f.name == "quiet_days":
                value = [d.isoformat() for d in value]
            elif isinstance(value, tuple):
                value = list(value)
            out[f.name] = value
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any], defaults: WorkspaceSettings) -> WorkspaceSettings:
        """Stored overrides over `defaults`; an unknown or unreadable stored value falls back to the default."""
        values: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            if f.name not in data:
                continue
            raw = data[f.name]
            try:
                if f.name == "quiet_days":
                    values[f.name] = tuple(date.fromisoformat(str(d)) for d in raw)
                elif f.name == "reminder_days":
                    values[f.name] = tuple(int(d) for d in raw)
                else:
                    values[f.name] = raw
            except (TypeError, ValueError):
                continue
        merged = dataclasses.replace(defaults, **values)
        return defaults if validate(merged) else merged

    def describe(self, name: str) -> str:
        """A field's value as a person reads it in the change log."""
        value = getattr(self, name)
        if name == "quiet_days":
            return ", ".join(d.isoformat() for d in value) or "none"
        if name == "reminder_days":
            return ", ".join(str(d) for d in value) or "none"
        if name == "summary_channel":
            return value or "DM managers"
        return str(value).lower() if isinstance(value, bool) else str(value)


def validate(settings: WorkspaceSettings) -> dict[str, str]:
    """Field -> one-line problem; empty when the settings make a workable schedule."""
    problems: dict[str, str] = {}
    if settings.cadence not in CADENCES:
        problems["cadence"] = f"cadence must be one of {', '.join(CADENCES)}"
    elif settings.cadence != "quarterly" and not 1 <= settings.cadence_every <= EVERY_MAX:
        problems["cadence_every"] = f"every how many {settings.cadence}: a whole number from 1 to {EVERY_MAX}"
    if not 0 <= settings.open_hour <= 23:
        problems["open_hour"] = "the open hour is an hour from 0 to 23"
    longest = min(CLOSE_DAY_MAX, period_days(settings.cadence, settings.cadence_every))
    if not 1 <= settings.close_day <= CLOSE_DAY_MAX:
        problems["close_day"] = f"the close day is a round day from 1 to {CLOSE_DAY_MAX}"
    elif settings.close_day > longest and "cadence_every" not in problems and settings.cadence in CADENCES:
        problems["close_day"] = f"the close day must fit in one period of the cadence ({longest} days at most)"
    if any(day < 1 for day in settings.reminder_days):
        problems["reminder_days"] = "reminder days are round days, counted from 1"
    elif any(day >= settings.close_day for day in settings.reminder_days):
        problems["reminder_days"] = f"every reminder day must come before the close day ({settings.close_day})"
    elif len(set(settings.reminder_days)) != len(settings.reminder_days):
        problems["reminder_days"] = "a reminder day appears twice"
    if not 0 <= settings.max_reminders <= REMINDER_CAP_MAX:
        problems["max_reminders"] = f"the reminder cap is a whole number from 0 to {REMINDER_CAP_MAX}"
    if len(settings.quiet_days) > QUIET_DAYS_MAX:
        problems["quiet_days"] = f"at most {QUIET_DAYS_MAX} quiet days"
    if settings.summary_channel is not None and not _CHANNEL.match(settings.summary_channel):
        problems["summary_channel"] = "choose a channel, or send the summary to managers"
    if not 1 <= settings.min_group_size <= GROUP_SIZE_MAX:
        problems["min_group_size"] = f"the minimum group size is a whole number from 1 to {GROUP_SIZE_MAX}"
    if not 1 <= settings.review_after_days <= REVIEW_DAYS_MAX:
        problems["review_after_days"] = f"the review interval is a number of days from 1 to {REVIEW_DAYS_MAX}"
    return problems


def load_settings(session: Session, workspace_id: int, defaults: WorkspaceSettings) -> WorkspaceSettings:
    """The workspace's settings: its stored overrides over `defaults` (the environment's)."""
    row = session.get(WorkspaceSettingsRow, workspace_id)
    return defaults if row is None else WorkspaceSettings.from_json(row.values, defaults)


def save_settings(
    session: Session,
    workspace_id: int,
    wanted: WorkspaceSettings,
    defaults: WorkspaceSettings,
    changed_by: str,
    now: datetime | None = None,
) -> list[SettingsChange]:
    """Store `wanted` (fields equal to the default are not stored, so the environment keeps deciding them) and
    record each change; SettingsInvalid when they don't make a workable schedule. Returns the changes."""
    problems = validate(wanted)
    if problems:
        raise SettingsInvalid(problems)
    now = now or utcnow()
    before = load_settings(session, workspace_id, defaults)
    changes = [
        SettingsChange(
            workspace_id=workspace_id,
            changed_by=changed_by,
            changed_at=now,
            field=f.name,
            before=before.describe(f.name),
            after=wanted.describe(f.name),
        )
        for f in dataclasses.fields(WorkspaceSettings)
        if getattr(before, f.name) != getattr(wanted, f.name)
    ]
    if not changes:
        return []
    stored = {k: v for k, v in wanted.to_json().items() if v != defaults.to_json()[k]}
    row = session.get(WorkspaceSettingsRow, workspace_id)
    if row is None:
        row = WorkspaceSettingsRow(workspace_id=workspace_id, values=stored)
        session.add(row)
    row.values, row.updated_at, row.updated_by = stored, now, changed_by
    session.add_all(changes)
    session.flush()
    return changes


def settings_history(session: Session, workspace_id: int, limit: int = 20) -> list[SettingsChange]:
    """The latest changes, newest first."""
    query = (
        select(SettingsChange)
        .where(SettingsChange.workspace_id == workspace_id)
        .order_by(SettingsChange.changed_at.desc(), SettingsChange.id.desc())
        .limit(limit)
    )
    return list(session.scalars(query))
