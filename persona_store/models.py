"""Typed SQLAlchemy 2 models. Every row belongs to one workspace, directly or through its parent."""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    func,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

ROLES = ("sales", "success", "onboarding", "marketing")
FEEDBACK_ROLES = (*ROLES, "other")
ATTRIBUTE_KINDS = ("goal", "pain_point", "objection")
VERDICTS = ("matches", "partly", "doesnt", "not_seen")
SOURCES = ("adhoc", "shortcut", "checkin")
JOURNEY_STAGES = ("awareness", "evaluation", "purchase", "onboarding", "adoption", "renewal", "expansion")


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Stores aware datetimes as UTC; SQLite hands back naive values, so we re-attach UTC on the way out."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSON, list[Any]: JSON}  # noqa: RUF012  # read by SQLAlchemy


class PersonaStatus(enum.StrEnum):
    ACTIVE = "active"
    RETIRED = "retired"


class Workspace(Base):
    __tablename__ = "workspaces"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    uninstalled_at: Mapped[datetime | None] = mapped_column(default=None)
    # Set by every import of deals or campaign results: the lookup's catalogue version reads it (one row by its
    # key) instead of scanning the outcome tables, to know when the card's outcome line must be worked out again.
    outcomes_changed_at: Mapped[datetime | None] = mapped_column(default=None)

    @property
    def active(self) -> bool:
        return self.uninstalled_at is None


class Persona(Base):
    __tablename__ = "personas"
    __table_args__ = (
        UniqueConstraint("workspace_id", "key"),
        UniqueConstraint("workspace_id", "name_folded"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(120))
    name: Mapped[str] = mapped_column(String(150))
    name_folded: Mapped[str] = mapped_column(String(150))
    role: Mapped[str] = mapped_column(String(150), default="")
    summary: Mapped[str] = mapped_column(Text, default="")
    goals: Mapped[list[Any]] = mapped_column(default=list)
    pain_points: Mapped[list[Any]] = mapped_column(default=list)
    motivations: Mapped[list[Any]] = mapped_column(default=list)
    objections: Mapped[list[Any]] = mapped_column(default=list)
    channels: Mapped[list[Any]] = mapped_column(default=list)
    evidence: Mapped[list[Any]] = mapped_column(default=list)
    # Roster roles this persona is checked by in quarterly rounds; empty means every role.
    team_roles: Mapped[list[Any]] = mapped_column(default=list)
    owner: Mapped[str | None] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default=PersonaStatus.ACTIVE.value)
    revision_number: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revised_at: Mapped[datetime] = mapped_column(default=utcnow)
    reviewed_at: Mapped[datetime] = mapped_column(default=utcnow)

    revisions: Mapped[list[PersonaRevision]] = relationship(
        back_populates="persona", order_by="PersonaRevision.number", cascade="all, delete-orphan"
    )

    @property
    def active(self) -> bool:
        return self.status == PersonaStatus.ACTIVE.value

    def attributes(self) -> list[tuple[str, str]]:
        """The checkable attributes, in the order people see them: goals, pain points, objections."""
        return [
            *(("goal", text) for text in self.goals),
            *(("pain_point", text) for text in self.pain_points),
            *(("objection", text) for text in self.objections),
        ]


class PersonaRevision(Base):
    __tablename__ = "persona_revisions"
    __table_args__ = (UniqueConstraint("persona_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    persona_id: Mapped[int] = mapped_column(ForeignKey("personas.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    author: Mapped[str] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    snapshot: Mapped[dict[str, Any]] = mapped_column()
    # {field: {"before": ..., "after": ...}}; the first revision records every field as added.
    changes: Mapped[dict[str, Any]] = mapped_column()

    persona: Mapped[Persona] = relationship(back_populates="revisions")


class PersonaReview(Base):
    """An owner's six-monthly review: still accurate, edited or retired."""

    __tablename__ = "persona_reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    persona_id: Mapped[int] = mapped_column(ForeignKey("personas.id", ondelete="CASCADE"), index=True)
    reviewer: Mapped[str] = mapped_column(String(32))
    outcome: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class RosterMember(Base):
    __tablename__ = "roster_members"
    __table_args__ = (UniqueConstraint("workspace_id", "slack_user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    slack_user_id: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    is_manager: Mapped[bool] = mapped_column(Boolean, default=False)
    timezone: Mapped[str | None] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # On the roster but never asked in check-ins and never counted (a team lead watching, an analyst).
    is_observer: Mapped[bool] = mapped_column(Boolean, default=False)
    # Slack said the account is deactivated (users.info `deleted`), when we last looked.
    slack_deactivated_at: Mapped[datetime | None] = mapped_column(default=None)
    slack_checked_at: Mapped[datetime | None] = mapped_column(default=None)  # the profile was last read then
    # The user group or channel that brought this person in (kept in sync by the clock); None: added by hand.
    link_id: Mapped[int | None] = mapped_column(ForeignKey("roster_links.id", ondelete="SET NULL"), index=True)


class RosterLink(Base):
    """A Slack user group or channel whose members are on the roster with one role, kept in sync by the clock."""

    __tablename__ = "roster_links"
    __table_args__ = (UniqueConstraint("workspace_id", "kind", "slack_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # usergroup | channel
    slack_id: Mapped[str] = mapped_column(String(32))
    role: Mapped[str] = mapped_column(String(16))
    created_by: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    synced_at: Mapped[datetime | None] = mapped_column(default=None)
    last_error: Mapped[str | None] = mapped_column(String(64))


class WorkspaceSettingsRow(Base):
    """A workspace's own schedule and privacy settings; no row: the environment's defaults."""

    __tablename__ = "workspace_settings"

    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), primary_key=True)
    values: Mapped[dict[str, Any]] = mapped_column()  # field name -> value, only the fields set here
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by: Mapped[str | None] = mapped_column(String(32))


class SettingsChange(Base):
    """One setting changed: who, when, from what to what."""

    __tablename__ = "settings_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    changed_by: Mapped[str] = mapped_column(String(32))
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    field: Mapped[str] = mapped_column(String(32))
    before: Mapped[str] = mapped_column(Text, default="")
    after: Mapped[str] = mapped_column(Text, default="")


class CheckinRound(Base):
    __tablename__ = "checkin_rounds"
    __table_args__ = (UniqueConstraint("workspace_id", "quarter"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    quarter: Mapped[str] = mapped_column(String(16))  # "2026-Q4"; later rounds of a quarter "2026-Q4.02" (cadence)
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | closed
    due_date: Mapped[date] = mapped_column(Date)
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(default=None)


class Participation(Base):
    """One rep's part in one round: assigned, sent, answered, skipped, reminded, unreachable."""

    __tablename__ = "participations"
    __table_args__ = (UniqueConstraint("round_id", "slack_user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("checkin_rounds.id", ondelete="CASCADE"), index=True)
    slack_user_id: Mapped[str] = mapped_column(String(32))
    role: Mapped[str] = mapped_column(String(16))
    timezone: Mapped[str] = mapped_column(String(64))
    assigned_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(default=None)
    dm_channel: Mapped[str | None] = mapped_column(String(32))
    dm_ts: Mapped[str | None] = mapped_column(String(32))
    answered_at: Mapped[datetime | None] = mapped_column(default=None)
    skipped_at: Mapped[datetime | None] = mapped_column(default=None)
    skip_reason: Mapped[str | None] = mapped_column(String(64))
    reminder_count: Mapped[int] = mapped_column(Integer, default=0)
    last_reminded_at: Mapped[datetime | None] = mapped_column(default=None)
    snoozed_until: Mapped[datetime | None] = mapped_column(default=None)
    unreachable_at: Mapped[datetime | None] = mapped_column(default=None)
    unreachable_reason: Mapped[str | None] = mapped_column(String(64))


class CheckinQuestions(Base):
    """The statements one rep is asked about one persona in one round (`persona_store.question_selection`), stored
    the first time they are chosen so that reopening the check-in shows the same questions."""

    __tablename__ = "checkin_questions"
    __table_args__ = (UniqueConstraint("round_id", "slack_user_id", "persona_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("checkin_rounds.id", ondelete="CASCADE"), index=True)
    slack_user_id: Mapped[str] = mapped_column(String(32))
    persona_id: Mapped[int] = mapped_column(ForeignKey("personas.id", ondelete="CASCADE"), index=True)
    revision_number: Mapped[int] = mapped_column(Integer)  # the revision whose statements the positions name
    positions: Mapped[list[Any]] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class RevisionDecision(Base):
    """An owner's answer to a revision draft (a disputed statement, RULE_DISPUTED): accepted (and the revision that
    carried it out) or dismissed, with the evidence they saw, so `/persona history` can show why a persona changed."""

    __tablename__ = "revision_decisions"
    __table_args__ = (UniqueConstraint("persona_id", "statement_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    persona_id: Mapped[int] = mapped_column(ForeignKey("personas.id", ondelete="CASCADE"), index=True)
    statement_key: Mapped[str] = mapped_column(String(64))  # kind and wording, hashed (`revision_drafts.statement_key`)
    kind: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    period: Mapped[str] = mapped_column(String(16))
    doesnt: Mapped[int] = mapped_column(Integer)
    judged: Mapped[int] = mapped_column(Integer)
    quotes: Mapped[list[Any]] = mapped_column(default=list)
    status: Mapped[str] = mapped_column(String(16))  # accepted | dismissed
    decided_by: Mapped[str] = mapped_column(String(32))
    decided_at: Mapped[datetime] = mapped_column(default=utcnow)
    revision_number: Mapped[int | None] = mapped_column(Integer, default=None)  # the revision that accepted it


class Feedback(Base):
    __tablename__ = "feedback"
    __table_args__ = (
        # One submission of one view is stored once, however often Slack or the person sends it.
        UniqueConstraint("workspace_id", "submission_key"),
        Index("ix_feedback_persona_created", "persona_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    persona_id: Mapped[int] = mapped_column(ForeignKey("personas.id", ondelete="CASCADE"), index=True)
    revision_number: Mapped[int] = mapped_column(Integer)
    round_id: Mapped[int | None] = mapped_column(ForeignKey("checkin_rounds.id", ondelete="SET NULL"), index=True)
    submission_key: Mapped[str] = mapped_column(String(128))
    author_id: Mapped[str] = mapped_column(String(32), index=True)
    author_role: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(16))
    fit: Mapped[int | None] = mapped_column(Integer)  # 1..5; None with not_met or when not answered
    not_met: Mapped[bool] = mapped_column(Boolean, default=False)
    missing_text: Mapped[str] = mapped_column(Text, default="")
    objections_text: Mapped[str] = mapped_column(Text, default="")
    evidence_ref: Mapped[str] = mapped_column(Text, default="")
    evidence_message: Mapped[str] = mapped_column(Text, default="")
    evidence_permalink: Mapped[str] = mapped_column(Text, default="")
    journey_stage: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    attribute_checks: Mapped[list[AttributeCheck]] = relationship(
        back_populates="feedback", cascade="all, delete-orphan", order_by="AttributeCheck.position"
    )


class AttributeCheck(Base):
    """One verdict on one persona attribute inside one feedback record (kept in rows so SQL can count them)."""

    __tablename__ = "attribute_checks"
    __table_args__ = (UniqueConstraint("feedback_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    feedback_id: Mapped[int] = mapped_column(ForeignKey("feedback.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    verdict: Mapped[str] = mapped_column(String(16))

    feedback: Mapped[Feedback] = relationship(back_populates="attribute_checks")


class Effect(Base):
    """The ledger of things the app did to people (a DM, a reminder, a close, a review request).

    The unique key is the guard for exactly-once: a row is claimed (`pending`) before the Slack call and
    completed after it, so a restarted or doubled process never repeats one.
    """

    __tablename__ = "effects"
    __table_args__ = (UniqueConstraint("workspace_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending | done | failed
    detail: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(default=None)


class ClockTick(Base):
    """When the clock (`persona-bot scheduler`) last ran its reconcile tick: `persona-bot doctor` reads it."""

    __tablename__ = "clock_ticks"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)  # the job, e.g. "reconcile"
    ticked_at: Mapped[datetime] = mapped_column(default=utcnow)
    ticks: Mapped[int] = mapped_column(Integer, default=0)
    host: Mapped[str | None] = mapped_column(String(255))


class SlackPace(Base):
    """The pace Slack allowed a workspace for one Web API method, last learnt (`bot.slack.pacing`): a process that
    starts (a restart, a resumed round) begins there instead of finding it again."""

    __tablename__ = "slack_paces"
    __table_args__ = (UniqueConstraint("workspace_id", "method"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    method: Mapped[str] = mapped_column(String(64))
    per_second: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


# Slack's OAuth stores (slack_sdk.oauth's SQLAlchemyInstallationStore and SQLAlchemyOAuthStateStore, wired in
# bot/slack/oauth.py) read and write these tables on DATABASE_URL. They are declared here column for column as slack-sdk
# builds them, so that migrations create them; persona_store never imports slack_sdk, and
# tests/bot/test_oauth_tables.py checks that the two descriptions agree. Keyed by team_id like everything else.
# slack_installations and slack_bots repeat many columns on purpose: slack-sdk keeps both tables, each whole.
slack_installations = Table(
    "slack_installations",
    Base.metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("client_id", String(32), nullable=False),
    Column("app_id", String(32), nullable=False),
    Column("enterprise_id", String(32)),
    Column("enterprise_name", String(200)),
    Column("enterprise_url", String(200)),
    Column("team_id", String(32)),
    Column("team_name", String(200)),
    Column("bot_token", String(200)),
    Column("bot_id", String(32)),
    Column("bot_user_id", String(32)),
    Column("bot_scopes", String(1000)),
    Column("bot_refresh_token", String(200)),
    Column("bot_token_expires_at", DateTime),
    Column("user_id", String(32), nullable=False),
    Column("user_token", String(200)),
    Column("user_scopes", String(1000)),
    Column("user_refresh_token", String(200)),
    Column("user_token_expires_at", DateTime),
    Column("incoming_webhook_url", String(200)),
    Column("incoming_webhook_channel", String(200)),
    Column("incoming_webhook_channel_id", String(200)),
    Column("incoming_webhook_configuration_url", String(200)),
    Column("is_enterprise_install", Boolean, default=False, nullable=False),
    Column("token_type", String(32)),
    Column("installed_at", DateTime, nullable=False, default=func.now()),
    Index("slack_installations_idx", "client_id", "enterprise_id", "team_id", "user_id", "installed_at"),
)

slack_bots = Table(
    "slack_bots",
    Base.metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("client_id", String(32), nullable=False),
    Column("app_id", String(32), nullable=False),
    Column("enterprise_id", String(32)),
    Column("enterprise_name", String(200)),
    Column("team_id", String(32)),
    Column("team_name", String(200)),
    Column("bot_token", String(200)),
    Column("bot_id", String(32)),
    Column("bot_user_id", String(32)),
    Column("bot_scopes", String(1000)),
    Column("bot_refresh_token", String(200)),
    Column("bot_token_expires_at", DateTime),
    Column("is_enterprise_install", Boolean, default=False, nullable=False),
    Column("installed_at", DateTime, nullable=False, default=func.now()),
    Index("slack_bots_idx", "client_id", "enterprise_id", "team_id", "installed_at"),
)

slack_oauth_states = Table(
    "slack_oauth_states",
    Base.metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("state", String(200), nullable=False),
    Column("expire_at", DateTime, nullable=False),
)


class Deal(Base):
    """One CRM deal (opportunity) from an imported export; re-importing updates it by its CRM id."""

    __tablename__ = "deals"
    # One index only: the unique key. Every figure is a scan of one workspace's deals (its prefix); more indexes
    # made a 200,000-row import three times slower (bench/outcomes_import.py).
    __table_args__ = (UniqueConstraint("workspace_id", "deal_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    deal_key: Mapped[str] = mapped_column(String(128))  # the CRM id, case-folded: what references match
    deal_id: Mapped[str] = mapped_column(String(128))  # the CRM id as exported
    name: Mapped[str] = mapped_column(String(255), default="")
    stage: Mapped[str] = mapped_column(String(120), default="")
    lost_stage: Mapped[str] = mapped_column(String(120), default="")  # for a lost deal: where it dropped off
    outcome: Mapped[str] = mapped_column(String(8))  # won | lost | open
    amount_cents: Mapped[int | None] = mapped_column(BigInteger)
    created_on: Mapped[date | None] = mapped_column(Date)
    closed_on: Mapped[date | None] = mapped_column(Date)
    created_quarter: Mapped[str | None] = mapped_column(String(7))
    closed_quarter: Mapped[str | None] = mapped_column(String(7))
    cycle_days: Mapped[int | None] = mapped_column(Integer)  # close date minus create date, for closed deals
    lost_reason: Mapped[str] = mapped_column(String(255), default="")
    persona_id: Mapped[int | None] = mapped_column(ForeignKey("personas.id", ondelete="SET NULL"))
    persona_label: Mapped[str] = mapped_column(String(255), default="")  # the persona as the export named it
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class CampaignResult(Base):
    """One campaign's results for one persona in one quarter, from an imported export."""

    __tablename__ = "campaign_results"
    __table_args__ = (UniqueConstraint("workspace_id", "campaign_key", "persona_id", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    campaign_key: Mapped[str] = mapped_column(String(255))  # case-folded name
    campaign: Mapped[str] = mapped_column(String(255))
    persona_id: Mapped[int] = mapped_column(ForeignKey("personas.id", ondelete="CASCADE"), index=True)
    period: Mapped[str] = mapped_column(String(7))  # a quarter label, "2026-Q3"
    sent: Mapped[int] = mapped_column(Integer, default=0)
    opened: Mapped[int] = mapped_column(Integer, default=0)
    clicked: Mapped[int] = mapped_column(Integer, default=0)
    converted: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
