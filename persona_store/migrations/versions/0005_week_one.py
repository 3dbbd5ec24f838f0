"""Week one: observers and Slack links on the roster; per-workspace settings and their change log

Revision ID: 0005_week_one
Revises: 0002_oauth
Create Date: 2026-12-01 10:10:00

Its tables are spelt out as they stood that day, on purpose: a migration never imports today's models.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_week_one"
down_revision: str | None = "0002_oauth"  # the migration 0002_slack_oauth_stores.py
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "roster_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("slack_id", sa.String(length=32), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("created_by", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("synced_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_roster_links_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_roster_links")),
        sa.UniqueConstraint(
            "workspace_id", "kind", "slack_id", name=op.f("uq_roster_links_workspace_id_kind_slack_id")
        ),
    )
    with op.batch_alter_table("roster_links", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_roster_links_workspace_id"), ["workspace_id"], unique=False)

    with op.batch_alter_table("roster_members", schema=None) as batch_op:
        batch_op.add_column(sa.Column("is_observer", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column("slack_deactivated_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("slack_checked_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("link_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_roster_members_link_id"), ["link_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_roster_members_link_id_roster_links"),
            "roster_links",
            ["link_id"],
            ["id"],
            ondelete="SET NULL",
        )
    with op.batch_alter_table("roster_members", schema=None) as batch_op:
        batch_op.alter_column("is_observer", server_default=None)

    # Rounds more often than quarterly are labelled 2026-Q4.02, 2026-Q4.03 … (see persona_store/schedule.py).
    with op.batch_alter_table("checkin_rounds", schema=None) as batch_op:
        batch_op.alter_column("quarter", existing_type=sa.String(length=7), type_=sa.String(length=16))

    op.create_table(
        "workspace_settings",
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("values", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_workspace_settings_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("workspace_id", name=op.f("pk_workspace_settings")),
    )
    op.create_table(
        "settings_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("changed_by", sa.String(length=32), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("field", sa.String(length=32), nullable=False),
        sa.Column("before", sa.Text(), nullable=False),
        sa.Column("after", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_settings_changes_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_settings_changes")),
    )
    with op.batch_alter_table("settings_changes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_settings_changes_workspace_id"), ["workspace_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("settings_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_settings_changes_workspace_id"))
    op.drop_table("settings_changes")
    op.drop_table("workspace_settings")
    with op.batch_alter_table("checkin_rounds", schema=None) as batch_op:
        batch_op.alter_column("quarter", existing_type=sa.String(length=16), type_=sa.String(length=7))
    with op.batch_alter_table("roster_members", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_roster_members_link_id_roster_links"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_roster_members_link_id"))
        batch_op.drop_column("link_id")
        batch_op.drop_column("slack_checked_at")
        batch_op.drop_column("slack_deactivated_at")
        batch_op.drop_column("is_observer")
    with op.batch_alter_table("roster_links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_roster_links_workspace_id"))
    op.drop_table("roster_links")
