"""Deal outcomes and campaign results imported from CRM exports

Revision ID: 0008_outcomes
Revises: 0005_week_one
Create Date: 2026-12-01 10:00:00

Its tables are spelt out as they stood that day, on purpose: a migration never imports today's models.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_outcomes"
down_revision: str | None = "0005_week_one"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "deals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("deal_key", sa.String(length=128), nullable=False),
        sa.Column("deal_id", sa.String(length=128), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("stage", sa.String(length=120), nullable=False),
        sa.Column("lost_stage", sa.String(length=120), nullable=False),
        sa.Column("outcome", sa.String(length=8), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=True),
        sa.Column("created_on", sa.Date(), nullable=True),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("created_quarter", sa.String(length=7), nullable=True),
        sa.Column("closed_quarter", sa.String(length=7), nullable=True),
        sa.Column("cycle_days", sa.Integer(), nullable=True),
        sa.Column("lost_reason", sa.String(length=255), nullable=False),
        sa.Column("persona_id", sa.Integer(), nullable=True),
        sa.Column("persona_label", sa.String(length=255), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["persona_id"], ["personas.id"], name=op.f("fk_deals_persona_id_personas"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"], name=op.f("fk_deals_workspace_id_workspaces"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deals")),
        sa.UniqueConstraint("workspace_id", "deal_key", name=op.f("uq_deals_workspace_id_deal_key")),
    )
    op.create_table(
        "campaign_results",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("campaign_key", sa.String(length=255), nullable=False),
        sa.Column("campaign", sa.String(length=255), nullable=False),
        sa.Column("persona_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("sent", sa.Integer(), nullable=False),
        sa.Column("opened", sa.Integer(), nullable=False),
        sa.Column("clicked", sa.Integer(), nullable=False),
        sa.Column("converted", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["persona_id"],
            ["personas.id"],
            name=op.f("fk_campaign_results_persona_id_personas"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_campaign_results_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_results")),
        sa.UniqueConstraint(
            "workspace_id",
            "campaign_key",
            "persona_id",
            "period",
            name=op.f("uq_campaign_results_workspace_id_campaign_key_persona_id_period"),
        ),
    )
    op.create_index(op.f("ix_campaign_results_persona_id"), "campaign_results", ["persona_id"])
    op.create_index(op.f("ix_campaign_results_workspace_id"), "campaign_results", ["workspace_id"])


def downgrade() -> None:
    op.drop_table("campaign_results")
    op.drop_table("deals")
