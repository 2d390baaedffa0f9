"""The one error base of the application: a stable code, an HTTP status, and a message saying how to fix it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input: where it is and what to do about it."""

    entity: str
    property: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"entity": self.entity, "property": self.property, "message": self.message}

    def __str__(self) -> str:
        return f"{self.entity} · {self.property}: {self.message}"


@dataclass
class LeadsError(Exception):
    """Base of every domain error; the web layer turns it into a response with ``status``."""

    message: str
    code: str = "leads_error"
    status: int = 400
    problems: list[Problem] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        super().__init__(self.message)

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"error": self.code, "message": self.message}
        if self.problems:
            body["problems"] = [p.as_dict() for p in self.problems]
        body.update(self.extra)
        return body


class NotFound(LeadsError):
    def __init__(self, message: str, code: str = "not_found") -> None:
        super().__init__(message, code=code, status=404)


class ValidationFailed(LeadsError):
    def __init__(self, message: str, problems: list[Problem]) -> None:
        super().__init__(message, code="validation_failed", status=422, problems=problems)


class UpstreamError(LeadsError):
    """A remote service (Wikibase, an LMS) failed or could not be reached."""

    def __init__(self, message: str, code: str = "upstream_error") -> None:
        super().__init__(message, code=code, status=502)
