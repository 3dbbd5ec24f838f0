"""When a workspace's outcome data last changed, so a lookup can tell without scanning the outcome tables

Revision ID: 0010_card_outcomes
Revises: 0009_adaptive
Create Date: 2026-12-07 16:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_card_outcomes"
down_revision: str | None = "0009_adaptive"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("workspaces", schema=None) as batch_op:
        batch_op.add_column(sa.Column("outcomes_changed_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("workspaces", schema=None) as batch_op:
        batch_op.drop_column("outcomes_changed_at")
