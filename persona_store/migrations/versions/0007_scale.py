"""Remembered Slack paces: the rate each workspace's Slack allowed per Web API method, last learnt

Revision ID: 0007_scale
Revises: 0006_doctor
Create Date: 2026-12-01 10:35:00

Its tables are spelt out as they stood that day, on purpose: a migration never imports today's models.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_scale"
down_revision: str | None = "0006_doctor"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "slack_paces",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("method", sa.String(length=64), nullable=False),
        sa.Column("per_second", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"], name=op.f("fk_slack_paces_workspace_id_workspaces"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_slack_paces")),
        sa.UniqueConstraint("workspace_id", "method", name=op.f("uq_slack_paces_workspace_id_method")),
    )
    with op.batch_alter_table("slack_paces", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_slack_paces_workspace_id"), ["workspace_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("slack_paces", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_slack_paces_workspace_id"))
    op.drop_table("slack_paces")
