"""Verification as this installation does it: its own DIDs and status lists locally, everyone else's through the
one guarded fetcher (issuer.fetch: public addresses only, bounded in time, size and number; docs/decisions/013)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from bridge.credentials.service import CredentialService
from bridge.settings import Settings
from issuer.errors import IssuerError
from issuer.fetch import FetchPolicy, SafeFetcher
from issuer.shacl import CredentialShapeChecker
from issuer.status import BitstringStatusChecker
from issuer.verify import VerificationReport, verify_credential

STATUS_ACCEPT = "application/vc+ld+json, application/vc, application/json"


def fetch_policy(settings: Settings) -> FetchPolicy:
    """The installation's own origin and the hosts the administrator allows are trusted; nothing else private."""
    base = urlsplit(settings.base_url)
    own = (f"{base.scheme}://{base.netloc}",) if base.scheme and base.netloc else ()
    allowed = tuple(h.strip() for h in settings.fetch_allowed_hosts.replace(" ", ",").split(",") if h.strip())
    return FetchPolicy(
        user_agent=settings.user_agent, trusted=own + allowed, timeout=settings.fetch_timeout_seconds,
        max_bytes=settings.fetch_max_bytes, concurrency=settings.fetch_concurrency,
    )


class Verifier:
    """``verify(credential or JWT)`` → a report of every check. One fetcher per verifier (its cache and its bound
    on concurrent fetches are per process); pass ``fetcher`` to share or replace it."""

    def __init__(self, service: CredentialService, *, fetcher: SafeFetcher | None = None) -> None:
        self.service = service
        settings = service.settings
        self.fetcher = fetcher or SafeFetcher(fetch_policy(settings))
        base = urlsplit(settings.base_url)
        insecure = (base.netloc,) if base.scheme == "http" and base.netloc else ()
        self.resolver = service.directory.resolver(fetcher=self.fetcher, insecure_hosts=insecure)
        self.status = BitstringStatusChecker(self._fetch_list, self._verify_list)
        self.shapes = CredentialShapeChecker()

    def close(self) -> None:
        self.fetcher.close()

    def _fetch_list(self, url: str) -> Mapping[str, Any]:
        local = self.service.local_status_list_id(url)
        if local is not None:
            return self.service.status_list(local)[0]
        return self.fetcher.get_json(url, accept=STATUS_ACCEPT)

    def _verify_list(self, document: Mapping[str, Any]) -> None:
        report = verify_credential(dict(document), resolver=self.resolver, now=self.service.clock(),
                                   require_status=False)
        if not report.ok:
            raise IssuerError(f"the status list {document.get('id')} does not verify: {report.summary()}",
                              code="status_verification")

    def verify(self, credential: dict[str, Any] | str | bytes) -> VerificationReport:
        for org in self.service.directory.orgs.values():  # pick up rotated keys without a restart
            self.resolver.add(self.service.directory.did_document(org))
        with self.fetcher.budget(self.service.settings.verify_timeout_seconds):
            return verify_credential(credential, resolver=self.resolver, now=self.service.clock(),
                                     status_checker=self.status, shape_checker=self.shapes)
