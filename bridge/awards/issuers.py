"""Issuer implementations. ``credentials`` (the default) hands the award to ``bridge.credentials``."""

from __future__ import annotations

import importlib
from typing import Any

from bridge.awards.issuing import IssuedCredential, Issuer, IssueRequest, PermanentIssueError, register_issuer
from bridge.db import Database
from bridge.settings import Settings


class CredentialsServiceIssuer:
    """Adapter to the credential service (issue 4), looked up when first used so the pipeline runs without it.

    The service keys the credential row by the award id, which makes ``issue`` idempotent.
    """

    def __init__(self, db: Database, settings: Settings | None = None) -> None:
        self.db = db
        self.settings = settings  # None: the process settings (LEADS_* environment), as in `leads worker`
        self._service: Any = None

    def _svc(self) -> Any:
        if self._service is None:
            try:
                module = importlib.import_module("bridge.credentials.service")
            except ImportError as exc:
                raise PermanentIssueError(
                    f"the credential service (bridge.credentials) is not available: {exc}. Install it or set "
                    "LEADS_AWARDS_ISSUER; then retry the failed jobs with `leads awards retry`") from None
            self._service = module
        return self._service

    def issue(self, request: IssueRequest) -> IssuedCredential:
        svc = self._svc()
        fn = getattr(svc, "issue_for_award", None)
        if fn is None:
            raise PermanentIssueError("bridge.credentials.service has no issue_for_award(db, request)")
        row = fn(self.db, request, self.settings)  # the credential row; its id names the credential (/credentials/{id})
        return IssuedCredential(credential_id=str(getattr(row, "credential_id", None) or row.id))

    def revoke(self, award_id: str, credential_id: str, reason: str) -> None:
        fn = getattr(self._svc(), "revoke_for_award", None)
        if fn is None:
            raise PermanentIssueError("bridge.credentials.service has no revoke_for_award(db, award_id, reason)")
        fn(self.db, award_id, reason, self.settings)


def _credentials(db: Database) -> Issuer:
    return CredentialsServiceIssuer(db)


register_issuer("credentials", _credentials)
