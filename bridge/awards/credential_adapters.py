"""The built-in adapters of the issuer port: ``credentials`` (the default) hands the award to ``bridge.credentials``;
the PDF renderer warms the certificate cache of ``bridge.certificates``."""

from __future__ import annotations

from bridge.awards.issuer_port import IssuedCredential, IssueRequest
from bridge.certificates.api import credential_bytes, pdf_cache_for, row_story, verification_url
from bridge.credentials.api import CredentialService
from bridge.db import Database
from bridge.settings import Settings


class CredentialsServiceIssuer:
    """Adapter to the credential service; the service keys the credential row by the award id, which makes
    ``issue`` idempotent."""

    def __init__(self, credentials: CredentialService) -> None:
        self.credentials = credentials

    def issue(self, request: IssueRequest) -> IssuedCredential:
        row = self.credentials.issue_award(request)  # the credential row; its id names it (/credentials/{id})
        return IssuedCredential(credential_id=row.credential_id)

    def issue_many(self, requests: list[IssueRequest]) -> list[IssuedCredential]:
        return [IssuedCredential(credential_id=cid) for cid in self.credentials.issue_award_ids(requests)]

    def issue_edc(self, request: IssueRequest) -> IssuedCredential:
        """The award's European Digital Credential (JSON-LD), keyed ``<award id>:edc``: one per award."""
        return IssuedCredential(credential_id=self.credentials.issue_award(request, fmt="edc").credential_id)

    def revoke(self, award_id: str, credential_id: str, reason: str) -> None:
        """Revokes every credential of the award (OB3 and, when one was made, its EDC)."""
        self.credentials.revoke_award(award_id, reason)


class CertificatePdfRenderer:
    """Warms the certificate PDF cache of ``bridge.certificates`` right after issuance, while it has room to spare
    (``PdfCache.prerender``): a small course's PDFs are all ready before anyone asks; past that, a certificate's
    page renders its PDF for the first visitor. One cache per worker process, so its measure of the disk is kept."""

    def __init__(self, credentials: CredentialService, lang: str = "en") -> None:
        self.credentials, self.lang = credentials, lang
        self.cache = pdf_cache_for(credentials.settings)

    @property
    def db(self) -> Database:
        return self.credentials.db

    @property
    def settings(self) -> Settings:
        return self.credentials.settings

    def render(self, credential_id: str) -> None:
        row = self.credentials.get(credential_id)
        self.cache.prerender(credential_bytes(row.document), verify_url=verification_url(self.settings, row.id),
                             lang=self.lang, story=row_story(self.db, row, self.lang))
