"""The one error base of the LTI package: a stable code, an HTTP status (always 4xx for bad input), a message."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class LtiError(Exception):
    """Raised for every refused LTI message or failed LTI service call; ``status`` is the HTTP status to answer.

    ``template`` and ``params`` name a wording the application may translate (a key of ``lti.outbound.MESSAGES``,
    or the template itself, see ``worded``); ``message`` is the English text.
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


def worded(template: str, *, code: str, status: int = 400, **params: Any) -> LtiError:
    """An error whose English is ``template`` (``%(name)s``) filled with ``params``: the application translates the
    template and fills it with the same values."""
    return LtiError(template % params, code=code, status=status, template=template, params=params)


def refused(code: str, message: str, status: int = 401, **params: Any) -> LtiError:
    """A launch refused for a security reason (signature, claims, replay): 401 unless told otherwise; with
    ``params``, ``message`` is a template (as in ``worded``)."""
    if params:
        return worded(message, code=code, status=status, **params)
    return LtiError(message, code=code, status=status)
