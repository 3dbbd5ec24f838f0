"""Alembic environment: the engine comes from persona-bot (`persona_store.db.upgrade`), never from a config file."""

from __future__ import annotations

from alembic import context

from persona_store.models import Base

engine = context.config.attributes["engine"]

with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    context.run_migrations()
