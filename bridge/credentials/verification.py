"""Verification as this installation does it: its own DIDs and status lists locally, everyone else's through the
one guarded fetcher (issuer.fetch; docs/decisions/013), and who issued it from the issuer trust book (own issuers,
administrators' list, registries)."""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

from bridge.credentials.service import CredentialService
from bridge.settings import Settings
from bridge.trust.service import IssuerTrustBook
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
    # the issuer registries an administrator configured are trusted origins, like the allowed hosts
    registries = tuple(f"{u.scheme}://{u.netloc}" for u in (urlsplit(r.url) for r in settings.trust_registries)
                       if u.scheme in ("http", "https") and u.netloc)
    return FetchPolicy(
        user_agent=settings.user_agent, trusted=own + allowed + registries, timeout=settings.fetch_timeout_seconds,
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
        self.trust = IssuerTrustBook(service.db, service.settings, service.directory, fetch=self._fetch_bytes)

    def close(self) -> None:
        self.fetcher.close()

    def for_pass(self) -> Verifier:
        """This verifier for one pass over many credentials (the pool re-check): each status list is fetched and
        its proof checked once per pass — an unreachable one fails once, not once per entry. Shares the client."""
        twin = copy.copy(self)
        twin.status = BitstringStatusChecker(self._fetch_list, self._verify_list, memo={})
        return twin

    def _fetch_list(self, url: str) -> Mapping[str, Any]:
        local = self.service.local_status_list_id(url)
        if local is not None:
            return self.service.status_list(local)[0]
        return self.fetcher.get_json(url, accept=STATUS_ACCEPT)

    def _fetch_bytes(self, url: str) -> bytes:
        """A registry document (issuer trust) through the same outbound client as DID documents and status lists."""
        return json.dumps(self.fetcher.get_json(url, accept="application/json")).encode()

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
            report = verify_credential(credential, resolver=self.resolver, now=self.service.clock(),
                                       status_checker=self.status, shape_checker=self.shapes, trust=self.trust.decide)
        return self._with_reason(credential, report)

    def _with_reason(self, credential: dict[str, Any] | str | bytes, report: VerificationReport) -> VerificationReport:
        """A credential this installation issued and revoked: the status check says why (the reason is public
        once revoked: e.g. "signing key retired (…)", so a holder knows a replacement exists)."""
        if not isinstance(credential, dict):
            return report
        row = self.service.find_by_credential(credential)
        if row is None or not row.revoked or not row.revoked_reason:
            return report
        for i, check in enumerate(report.checks):
            if check.name == "status" and check.outcome in ("failed", "not_run"):
                report.checks[i] = replace(check, message=f"{check.message} (the issuer's reason: "
                                                         f"{row.revoked_reason})")
        return report
