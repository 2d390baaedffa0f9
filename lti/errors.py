"""The one error base of the LTI package: a stable code, an HTTP status (always 4xx for bad input), a message."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class LtiError(Exception):
    """Raised for every refused LTI message or failed LTI service call; ``status`` is the HTTP status to answer.

    ``template`` and ``params`` name a wording the application may translate (``lti.messages``); ``message`` is the
    English text.
    """

    def __init__(self, message: str, code: str = "lti_error", status: int = 400, template: str | None = None,
                 params: Mapping[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status
        self.template = template
        self.params = dict(params or {})

    def as_dict(self) -> dict[str, Any]:
        return {"error": self.code, "message": self.message}


def refused(code: str, message: str, status: int = 401) -> LtiError:
    """A launch refused for a security reason (signature, claims, replay): 401 unless told otherwise."""
    return LtiError(message, code=code, status=status)
