"""A persona as a file describes it, validated and normalised: what the parsers produce and the store imports."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from persona_store.models import PersonaStatus

LIST_FIELDS = ("goals", "pain_points", "motivations", "objections", "channels", "evidence")
# The file schema, in the order fields are written and shown.
PERSONA_FIELDS = ("name", "key", "role", "summary", *LIST_FIELDS, "owner", "status", "team_roles")


@dataclass(frozen=True)
class PersonaSpec:
    """One persona as a file describes it: validated and normalised."""

    name: str
    key: str
    role: str = ""
    summary: str = ""
    goals: tuple[str, ...] = ()
    pain_points: tuple[str, ...] = ()
    motivations: tuple[str, ...] = ()
    objections: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    evidence: tuple[str, ...] = ()
    owner: str | None = None
    status: str = PersonaStatus.ACTIVE.value
    team_roles: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """The file schema's fields in order; lists as lists (JSON- and YAML-ready)."""
        out: dict[str, Any] = {}
        for name in PERSONA_FIELDS:
            value = getattr(self, name)
            out[name] = list(value) if isinstance(value, tuple) else value
        return out
