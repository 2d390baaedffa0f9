"""The one error base of the application: a stable code, an HTTP status, and a message saying how to fix it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


def filled(gettext: Callable[[str], str], template: str, params: dict[str, Any] | None, english: str) -> str:
    """``template`` through ``gettext``, filled with ``params``; ``english`` when a translation lost a placeholder
    (a page shows the English, not a 500)."""
    try:
        said = gettext(template)
        return said % params if params else said
    except (KeyError, TypeError, ValueError):
        return english


def said_params(params: dict[str, Any], gettext: Callable[[str], str]) -> dict[str, Any]:
    """``params`` with each ``Term`` and each nested error in the reader's language."""
    return {k: gettext(v) if isinstance(v, Term) else v.said(gettext) if isinstance(v, LeadsError) else v
            for k, v in params.items()}


class Term(str):
    """A word of the interface given as a value (a property's name): a page translates it too (``Problem.said``);
    ``pybabel`` extracts ``Term("…")``."""

    __slots__ = ()


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input: where it is and what to do about it.

    As with ``LeadsError``, ``property`` and ``message`` may be templates filled with ``params``; a property given as
    a ``Term`` (and any ``Term`` among the params) is translated on a page, with the message (``said``)."""

    entity: str
    property: str
    message: str
    params: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)
    _templates: tuple[str, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_templates", (self.property, self.message))
        if self.params:
            object.__setattr__(self, "property", self.property % self.params)
            object.__setattr__(self, "message", self.message % self.params)

    def said(self, gettext: Callable[[str], str]) -> str:
        """``entity · property: message`` in the reader's language; English where none is catalogued."""
        prop, message = self._templates
        params = said_params(self.params, gettext)
        words = filled(gettext, prop, params, self.property) if isinstance(prop, Term) else self.property
        return f"{self.entity} · {words}: {filled(gettext, message, params, self.message)}"

    def as_dict(self) -> dict[str, str]:
        return {"entity": self.entity, "property": self.property, "message": self.message}

    def __str__(self) -> str:
        return f"{self.entity} · {self.property}: {self.message}"


@dataclass
class LeadsError(Exception):
    """Base of every domain error; the web layer turns it into a response with ``status``.

    With ``params``, ``message`` is a template (``%(name)s``) filled with them: the template is what the catalogue
    translates (``pybabel`` extracts the literal first argument of each error class), so a page in another
    language says the same thing with the same names and numbers (``said``). ``message`` is the English text."""

    message: str
    code: str = "leads_error"
    status: int = 400
    problems: list[Problem] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.template = self.message
        if self.params:
            self.message = self.message % self.params
        super().__init__(self.message)

    def said(self, gettext: Callable[[str], str]) -> str:
        """The message in the reader's language (``gettext`` of the page); English where none is catalogued. A
        ``Term`` among the params is translated, and so is an error given as a param (the cause a wrapping error
        names: "%(cause)s; nothing was changed locally")."""
        return filled(gettext, self.template, said_params(self.params, gettext), self.message)

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"error": self.code, "message": self.message}
        if self.problems:
            body["problems"] = [p.as_dict() for p in self.problems]
        body.update(self.extra)
        return body


class NotFound(LeadsError):
    def __init__(self, message: str, code: str = "not_found", params: dict[str, Any] | None = None) -> None:
        super().__init__(message, code=code, status=404, params=params or {})


class ValidationFailed(LeadsError):
    def __init__(self, message: str, problems: list[Problem], params: dict[str, Any] | None = None) -> None:
        super().__init__(message, code="validation_failed", status=422, problems=problems, params=params or {})


class UpstreamError(LeadsError):
    """A remote service (Wikibase, an LMS) failed or could not be reached."""

    def __init__(self, message: str, code: str = "upstream_error", params: dict[str, Any] | None = None) -> None:
        super().__init__(message, code=code, status=502, params=params or {})
