"""Verification as this installation does it: its own DIDs and status lists locally, everyone else's over HTTP,
and who issued it from the issuer trust book (own issuers, administrators' list, registries)."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import httpx

from bridge.credentials.service import CredentialService
from bridge.trust.service import IssuerTrustBook
from issuer.errors import IssuerError
from issuer.shacl import CredentialShapeChecker
from issuer.status import BitstringStatusChecker
from issuer.verify import VerificationReport, verify_credential


class Verifier:
    """``verify(credential or JWT)`` → a report of every check; inject ``transport`` to keep tests off the network."""

    def __init__(self, service: CredentialService, *, transport: httpx.BaseTransport | None = None,
                 timeout: float = 10.0) -> None:
        self.service = service
        base = urlsplit(service.settings.base_url)
        insecure = (base.netloc,) if base.scheme == "http" and base.netloc else ()
        self.client = httpx.Client(transport=transport, timeout=timeout, follow_redirects=True)
        self.resolver = service.directory.resolver(client=self.client, insecure_hosts=insecure)
        self.status = BitstringStatusChecker(self._fetch_list, self._verify_list)
        self.shapes = CredentialShapeChecker()
        self.trust = IssuerTrustBook(service.db, service.settings, service.directory, fetch=self._fetch_bytes)

    def close(self) -> None:
        self.client.close()

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
        response = self.client.get(url, headers={"Accept": "application/vc+ld+json, application/json"})
        if response.status_code != 200:
            raise IssuerError(f"{url} answered HTTP {response.status_code}", code="status_retrieval", status=502)
        body = response.json()
        if not isinstance(body, dict):
            raise IssuerError(f"{url} did not return a JSON object", code="status_retrieval", status=502)
        return body

    def _fetch_bytes(self, url: str) -> bytes:
        """A registry document (issuer trust) through the same outbound client as DID documents and status lists."""
        response = self.client.get(url, headers={"Accept": "application/json"})
        if response.status_code != 200:
            raise IssuerError(f"{url} answered HTTP {response.status_code}", code="registry_retrieval", status=502)
        return response.content

    def _verify_list(self, document: Mapping[str, Any]) -> None:
        report = verify_credential(dict(document), resolver=self.resolver, now=self.service.clock(),
                                   require_status=False)
        if not report.ok:
            raise IssuerError(f"the status list {document.get('id')} does not verify: {report.summary()}",
                              code="status_verification")

    def verify(self, credential: dict[str, Any] | str | bytes) -> VerificationReport:
        for org in self.service.directory.orgs.values():  # pick up rotated keys without a restart
            self.resolver.add(self.service.directory.did_document(org))
        return verify_credential(credential, resolver=self.resolver, now=self.service.clock(),
                                 status_checker=self.status, shape_checker=self.shapes, trust=self.trust.decide)
