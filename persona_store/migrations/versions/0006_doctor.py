"""The clock records its ticks (for `persona-bot doctor`)

Revision ID: 0006_doctor
Revises: 0008_outcomes

Its tables are spelt out as they stood that day, on purpose: a migration never imports today's models.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_doctor"
down_revision: str | None = "0008_outcomes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "clock_ticks",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("ticked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ticks", sa.Integer(), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=True),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_clock_ticks")),
    )


def downgrade() -> None:
    op.drop_table("clock_ticks")
