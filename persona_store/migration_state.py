"""Where a database stands against the migrations shipped with the code (for `persona-bot doctor`)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine

from persona_store.db import alembic_config


@dataclass(frozen=True)
class MigrationState:
    current: tuple[str, ...]  # the revisions the database is at (none: never migrated)
    heads: tuple[str, ...]  # the newest revisions the code ships
    known: frozenset[str] = frozenset()  # every revision the code ships

    @property
    def at_head(self) -> bool:
        return set(self.current) == set(self.heads)

    @property
    def ahead(self) -> bool:
        """Migrated by a newer release: a revision this code does not know."""
        return bool(set(self.current) - self.known)


def migration_state(engine: Engine) -> MigrationState:
    """The database's current revisions and the code's heads; raises SQLAlchemy's errors when unreachable."""
    from alembic.runtime.migration import MigrationContext  # see persona_store.db.alembic_config
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config(engine))
    with engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_heads()
    known = frozenset(rev.revision for rev in script.walk_revisions())
    return MigrationState(tuple(sorted(current)), tuple(sorted(script.get_heads())), known)
