"""Adaptive check-ins and revision drafts: each rep's chosen statements per round, owners' answers to drafts

Revision ID: 0009_adaptive
Revises: 0007_scale
Create Date: 2026-12-01 13:05:00

Its tables are spelt out as they stood that day, on purpose: a migration never imports today's models.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_adaptive"
down_revision: str | None = "0007_scale"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "checkin_questions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("slack_user_id", sa.String(length=32), nullable=False),
        sa.Column("persona_id", sa.Integer(), nullable=False),
        sa.Column("revision_number", sa.Integer(), nullable=False),
        sa.Column("positions", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["persona_id"], ["personas.id"], name=op.f("fk_checkin_questions_persona_id_personas"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["checkin_rounds.id"],
            name=op.f("fk_checkin_questions_round_id_checkin_rounds"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checkin_questions")),
        sa.UniqueConstraint(
            "round_id",
            "slack_user_id",
            "persona_id",
            name=op.f("uq_checkin_questions_round_id_slack_user_id_persona_id"),
        ),
    )
    with op.batch_alter_table("checkin_questions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_checkin_questions_persona_id"), ["persona_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_checkin_questions_round_id"), ["round_id"], unique=False)

    op.create_table(
        "revision_decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("persona_id", sa.Integer(), nullable=False),
        sa.Column("statement_key", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("period", sa.String(length=16), nullable=False),
        sa.Column("doesnt", sa.Integer(), nullable=False),
        sa.Column("judged", sa.Integer(), nullable=False),
        sa.Column("quotes", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("decided_by", sa.String(length=32), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revision_number", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["persona_id"], ["personas.id"], name=op.f("fk_revision_decisions_persona_id_personas"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_revision_decisions_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_revision_decisions")),
        sa.UniqueConstraint("persona_id", "statement_key", name=op.f("uq_revision_decisions_persona_id_statement_key")),
    )
    with op.batch_alter_table("revision_decisions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_revision_decisions_persona_id"), ["persona_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_revision_decisions_workspace_id"), ["workspace_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("revision_decisions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_revision_decisions_workspace_id"))
        batch_op.drop_index(batch_op.f("ix_revision_decisions_persona_id"))
    op.drop_table("revision_decisions")
    with op.batch_alter_table("checkin_questions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_checkin_questions_round_id"))
        batch_op.drop_index(batch_op.f("ix_checkin_questions_persona_id"))
    op.drop_table("checkin_questions")
