"""DID resolution: did:key locally, did:web through the guarded fetcher (issuer.fetch), plus locally known documents.

The bridge registers the DID documents it serves itself (``known``), so verifying its own credentials needs no HTTP.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from issuer.did.key import resolve_did_key
from issuer.did.web import did_web_to_url
from issuer.errors import DidResolutionFailed
from issuer.fetch import FetchFailed, FetchPolicy, SafeFetcher

if TYPE_CHECKING:
    import httpx

DEFAULT_USER_AGENT = "LEADS verifier (issuer library)"


class DidResolver:
    def __init__(
        self,
        *,
        fetcher: SafeFetcher | None = None,
        transport: httpx.BaseTransport | None = None,
        known: dict[str, dict[str, Any]] | None = None,
        insecure_hosts: tuple[str, ...] = (),
    ) -> None:
        """``fetcher`` fetches did:web documents (a default guarded one when absent); ``transport`` replaces its
        network (tests); ``insecure_hosts`` may be reached over http (this installation in development)."""
        self._fetcher = fetcher
        self._transport = transport
        self.known: dict[str, dict[str, Any]] = dict(known or {})
        self.insecure_hosts = insecure_hosts

    @property
    def fetcher(self) -> SafeFetcher:
        if self._fetcher is None:  # created on first did:web only: most resolutions need no network
            self._fetcher = SafeFetcher(FetchPolicy(user_agent=DEFAULT_USER_AGENT), transport=self._transport)
        return self._fetcher

    def add(self, document: dict[str, Any]) -> None:
        """Register a DID document (e.g. one this installation serves)."""
        self.known[str(document["id"])] = document

    def resolve(self, did: str) -> dict[str, Any]:
        bare = did.split("#", 1)[0]
        if bare in self.known:
            return self.known[bare]
        if bare.startswith("did:key:"):
            return resolve_did_key(bare)
        if bare.startswith("did:web:"):
            return self._fetch_web(bare)
        method = ":".join(bare.split(":")[:2])
        raise DidResolutionFailed(f"Cannot resolve {bare!r}: DID method {method!r} is not supported "
                                  "(supported: did:key, did:web)")

    def _fetch_web(self, did: str) -> dict[str, Any]:
        url = did_web_to_url(did, insecure_hosts=self.insecure_hosts + self.fetcher.insecure_hosts())
        try:  # did:web is https only (its specification), except for trusted origins
            doc = self.fetcher.get_json(url, accept="application/did+json, application/json", https_only=True)
        except FetchFailed:
            raise DidResolutionFailed(f"The DID document of {did} could not be fetched from {url}") from None
        if doc.get("id") != did:
            raise DidResolutionFailed(f"The document at {url} is not the DID document of {did} (its id differs)")
        return doc

    def verification_method(self, vm_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
        """The verification method and the DID document that contains it."""
        doc = self.resolve(vm_id)
        did = str(doc["id"])
        for method in _listed(doc.get("verificationMethod")):
            if isinstance(method, dict) and _absolute(str(method.get("id", "")), did) == vm_id:
                return method, doc
        raise DidResolutionFailed(f"The DID document of {did} has no verification method {vm_id}")


def _listed(value: Any) -> list[Any]:
    """A DID document's set (one entry may stand alone); anything else from a fetched document is no entry."""
    return value if isinstance(value, list) else [value] if isinstance(value, (dict, str)) else []


def _absolute(ref: str, did: str) -> str:
    return did + ref if ref.startswith("#") else ref


def authorised_for(doc: dict[str, Any], vm_id: str, relationship: str) -> bool:
    """True when ``vm_id`` is listed (by reference or embedded) under ``relationship`` in the DID document."""
    did = str(doc.get("id", ""))
    for entry in _listed(doc.get(relationship)):
        ref = entry.get("id") if isinstance(entry, dict) else entry
        if isinstance(ref, str) and _absolute(ref, did) == vm_id:
            return True
    return False
