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

    def issue_many(self, requests: list[IssueRequest]) -> list[IssuedCredential]:
        """The service's batch door when it has one (``issue_many_for_award``), else one by one."""
        fn = getattr(self._svc(), "issue_many_for_award", None)
        if fn is None:
            return [self.issue(r) for r in requests]
        rows = fn(self.db, requests, self.settings)
        return [IssuedCredential(credential_id=str(getattr(row, "credential_id", None) or row.id)) for row in rows]

    def issue_edc(self, request: IssueRequest) -> IssuedCredential:
        """The award's European Digital Credential (JSON-LD), keyed ``<award id>:edc``: one per award."""
        fn = getattr(self._svc(), "issue_for_award", None)
        if fn is None:
            raise PermanentIssueError("bridge.credentials.service has no issue_for_award(db, request)")
        row = fn(self.db, request, self.settings, fmt="edc")
        return IssuedCredential(credential_id=str(getattr(row, "credential_id", None) or row.id))

    def revoke(self, award_id: str, credential_id: str, reason: str) -> None:
        """Revokes every credential of the award (OB3 and, when one was made, its EDC)."""
        fn = getattr(self._svc(), "revoke_for_award", None)
        if fn is None:
            raise PermanentIssueError("bridge.credentials.service has no revoke_for_award(db, award_id, reason)")
        fn(self.db, award_id, reason, self.settings)


def _credentials(db: Database) -> Issuer:
    return CredentialsServiceIssuer(db)


register_issuer("credentials", _credentials)


class CertificatePdfRenderer:
    """Warms the certificate PDF cache of ``bridge.certificates`` so no request ever renders a PDF."""

    def __init__(self, db: Database, settings: Settings, lang: str = "en") -> None:
        self.db, self.settings, self.lang = db, settings, lang

    def render(self, credential_id: str) -> None:
        from pathlib import Path

        from bridge.certificates.page import credential_bytes, row_story, verification_url
        from bridge.certificates.pdf import PdfCache
        from bridge.credentials.service import CredentialService

        row = CredentialService(self.db, self.settings).get(credential_id)
        cache = PdfCache(Path(self.settings.data_dir) / "cache" / "certificates")
        cache.get_or_render(credential_bytes(row.document), verify_url=verification_url(self.settings, row.id),
                            lang=self.lang, story=row_story(self.db, row, self.lang))
