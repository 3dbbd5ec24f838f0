"""Personas in and out of files (the command line's `personas import | export | list`). No Slack calls."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from persona_store.persona_spec import PersonaSpec
from persona_store.personas import ImportSummary, export_personas, import_personas, list_personas
from persona_store.workspaces import ensure_workspace


@dataclass(frozen=True)
class PersonaLine:
    key: str
    name: str
    role: str
    status: str
    revision: int


class PersonaFileService:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def import_specs(self, team_id: str, specs: Sequence[PersonaSpec], *, author: str = "import") -> ImportSummary:
        """Every spec applied, or PersonaConflict before anything is written."""
        with self._sessions.begin() as s:
            return import_personas(s, ensure_workspace(s, team_id).id, specs, author=author)

    def export_specs(self, team_id: str) -> list[PersonaSpec]:
        """Every persona, retired ones too, as a file describes it."""
        with self._sessions.begin() as s:
            return export_personas(s, ensure_workspace(s, team_id).id)

    def lines(self, team_id: str, *, include_retired: bool = False) -> list[PersonaLine]:
        with self._sessions.begin() as s:
            found = list_personas(s, ensure_workspace(s, team_id).id, include_retired=include_retired)
            return [PersonaLine(p.key, p.name, p.role, p.status, p.revision_number) for p in found]
