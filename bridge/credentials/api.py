"""The credentials domain's door: what other domains and the composition root use (issue, read, verify).

Services are built once by ``bridge.composition`` and put on the application; the providers below hand them to
routes as FastAPI dependencies (typed, never created lazily here).
"""

from __future__ import annotations

from starlette.requests import Request  # fastapi.Request, without importing FastAPI (a command's start-up)

from bridge.credentials.keys import KeyManager
from bridge.credentials.served import DOCUMENT_MAX_AGE, STATUS_LIST_SECONDS
from bridge.credentials.service import AwardToIssue, CredentialService, IssueInput, award_key
from bridge.credentials.tables import WITHDRAWN, IssuedCredentialRow, StatusListRow
from bridge.credentials.verification import Verifier


def credential_service(request: Request) -> CredentialService:
    """The installation's credential service (one per process, built by the composition root)."""
    svc: CredentialService = request.app.state.credentials
    return svc


def verifier(request: Request) -> Verifier:
    """The installation's verifier (shares the trust book and fetch policy of the process)."""
    v: Verifier = request.app.state.verifier
    return v


__all__ = [
    "DOCUMENT_MAX_AGE",
    "STATUS_LIST_SECONDS",
    "WITHDRAWN",
    "AwardToIssue",
    "CredentialService",
    "IssueInput",
    "IssuedCredentialRow",
    "KeyManager",
    "StatusListRow",
    "Verifier",
    "award_key",
    "credential_service",
    "verifier",
]
