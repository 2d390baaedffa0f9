"""The one door from the award pipeline to credential issuance: an ``Issuer`` protocol and a registry.

Workers call ``Issuer.issue`` outside any database transaction. The call MUST be idempotent on
``award_id``: a worker killed after signing but before marking its job done is followed by another worker
that calls ``issue`` again, and must get the same credential back, never a second one.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from bridge.db import Database
from bridge.errors import LeadsError


@dataclass(frozen=True)
class IssueRequest:
    award_id: str
    learner: str
    learner_name: str | None
    learner_email: str | None
    design: str
    achievement: str
    context: str | None
    awarded_at: datetime
    course_title: str | None = None  # the course as the LMS titles it (never the internal context key)


@dataclass(frozen=True)
class IssuedCredential:
    credential_id: str


class PermanentIssueError(LeadsError):
    """Retrying cannot help (bad learner data, unknown design): the job fails at once, visible to admins."""

    def __init__(self, message: str) -> None:
        super().__init__(message, code="issue_failed", status=422)


@runtime_checkable
class Issuer(Protocol):
    """Optionally also ``issue_many(requests) -> list[IssuedCredential]`` (same order, same idempotency): the
    worker then hands over a whole claimed batch, and falls back to ``issue`` one by one if the batch fails."""

    def issue(self, request: IssueRequest) -> IssuedCredential:
        """Sign and store the credential for ``request.award_id``; same award id → same credential."""
        ...

    def revoke(self, award_id: str, credential_id: str, reason: str) -> None:
        """Mark the credential revoked (its status list entry); revoking twice is harmless."""
        ...


@runtime_checkable
class EdcIssuer(Protocol):
    """An issuer that can also produce an award's European Digital Credential (the learner asks for it; a worker
    signs it). Idempotent on the award id like ``Issuer.issue``: at most one EDC per award."""

    def issue_edc(self, request: IssueRequest) -> IssuedCredential: ...


class PdfRenderer(Protocol):
    def render(self, credential_id: str) -> None:
        """Render and cache the printable certificate of an issued credential (idempotent)."""
        ...


IssuerFactory = Callable[[Database], Issuer]
ISSUERS: dict[str, IssuerFactory] = {}


def register_issuer(name: str, factory: IssuerFactory) -> None:
    ISSUERS[name] = factory


def load_issuer(spec: str, db: Database) -> Issuer:
    """A registered name or ``package.module:factory`` taking the database (a plug-in; the built-in
    ``credentials`` issuer is built by the runner with the process's credential service)."""
    if ":" in spec:
        module_name, _, attr = spec.partition(":")
        try:
            factory: Any = getattr(importlib.import_module(module_name), attr)
        except (ImportError, AttributeError) as exc:
            raise LeadsError(f"LEADS_AWARDS_ISSUER={spec!r} cannot be loaded ({exc}); give 'module:factory'",
                             code="issuer_not_found", status=500) from None
    elif spec in ISSUERS:
        factory = ISSUERS[spec]
    else:
        raise LeadsError(f"no issuer named {spec!r}; known: {', '.join(sorted(ISSUERS))}",
                         code="issuer_not_found", status=500)
    issuer = factory(db)
    if not isinstance(issuer, Issuer):
        raise LeadsError(f"{spec!r} did not return an Issuer (it needs issue() and revoke())",
                         code="issuer_not_found", status=500)
    return issuer
