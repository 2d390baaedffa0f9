"""The ``BitstringStatusListCredential`` (unsigned; the caller signs it) and the verifier's status check."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from issuer.errors import IssuerError
from issuer.status.allocation import StatusListState
from issuer.status.bitstring import MIN_LENGTH, Bitstring

VC_V2 = "https://www.w3.org/ns/credentials/v2"
DEFAULT_TTL_MS = 300_000  # the specification's default; the HTTP Cache-Control max-age should not exceed it


def _stamp(moment: datetime) -> str:
    return moment.replace(microsecond=0).isoformat().replace("+00:00", "Z")


def status_list_credential(
    state: StatusListState,
    *,
    list_url: str,
    issuer: str,
    valid_from: datetime,
    valid_until: datetime | None = None,
) -> dict[str, Any]:
    """The status list as an unsigned VC 2.0 credential whose ``id`` is the URL the entries point at."""
    doc: dict[str, Any] = {
        "@context": [VC_V2],
        "id": list_url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer,
        "validFrom": _stamp(valid_from),
        "credentialSubject": {
            "id": f"{list_url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": state.purpose.value,
            "encodedList": state.bits.encode(),
        },
    }
    if valid_until is not None:
        doc["validUntil"] = _stamp(valid_until)
    return doc


@dataclass(frozen=True)
class StatusResult:
    """What one ``credentialStatus`` entry says: ``valid`` is False when the bit is set (revoked / suspended)."""

    purpose: str
    index: int
    list_url: str
    status: int
    valid: bool

    def as_dict(self) -> dict[str, Any]:
        return {"purpose": self.purpose, "index": self.index, "statusListCredential": self.list_url,
                "status": self.status, "valid": self.valid}

    @property
    def message(self) -> str:
        if self.valid:
            return f"{self.purpose}: not set (index {self.index})"
        return {"revocation": "revoked", "suspension": "suspended"}.get(self.purpose, f"{self.purpose} set")


Fetcher = Callable[[str], Mapping[str, Any]]
ListVerifier = Callable[[Mapping[str, Any]], None]  # raises IssuerError when the list credential's proof fails


def _entries(credential: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The credential's status entries; an entry of another type (a ``StatusList2021Entry``, anything) cannot be
    read here, and a credential whose revocation this verifier cannot read is not known to be unrevoked: its status
    is unknown, not "not revoked" because its other entries are clear."""
    raw = credential.get("credentialStatus")
    if raw is None:
        return []
    items = raw if isinstance(raw, list) else [raw]
    for entry in items:
        if not isinstance(entry, Mapping) or "BitstringStatusListEntry" not in _types(entry):
            kinds = ", ".join(_types(entry)) if isinstance(entry, Mapping) else ""
            raise IssuerError(f"a credentialStatus entry of type {kinds or 'none'} cannot be checked here (only "
                              "BitstringStatusListEntry)", code="status_unsupported")
    return list(items)


def _types(node: Mapping[str, Any]) -> list[str]:
    value = node.get("type", [])  # a fetched list is anyone's JSON: a type that is not text is no type
    return [value] if isinstance(value, str) else [v for v in value if isinstance(v, str)] \
        if isinstance(value, list) else []


MAX_INDEX_DIGITS = 12  # a list of 10¹² entries would be 125 GB: longer is no index (and no 5,000-digit int())


class BitstringStatusChecker:
    """Reads every ``BitstringStatusListEntry`` of a credential, following the specification's validate algorithm.

    ``fetch`` dereferences ``statusListCredential`` (an httpx client, or the local store); ``verify_list`` checks
    the list credential's proof and raises if it fails. Both are injected so that verification needs no network
    in tests and no server for credentials issued by this installation.
    """

    def __init__(self, fetch: Fetcher, verify_list: ListVerifier, *, min_length: int = MIN_LENGTH,
                 memo: dict[str, tuple[Mapping[str, Any], Bitstring] | IssuerError] | None = None) -> None:
        self.fetch = fetch
        self.verify_list = verify_list
        self.min_length = min_length
        self.memo = memo  # given: each list is loaded (fetched, its proof checked) once, failures included

    def check(self, credential: Mapping[str, Any]) -> list[StatusResult]:
        results = []
        lists: dict[str, tuple[Mapping[str, Any], Bitstring]] = {}
        for entry in _entries(credential):
            purpose = entry.get("statusPurpose")
            url = entry.get("statusListCredential")
            raw_index = entry.get("statusListIndex")
            if not isinstance(purpose, str) or not isinstance(url, str) or not isinstance(raw_index, str) \
                    or not (raw_index.isascii() and raw_index.isdigit() and len(raw_index) <= MAX_INDEX_DIGITS):
                raise IssuerError("credentialStatus entry needs statusPurpose, statusListCredential and a "
                                  "base-10 string statusListIndex", code="status_malformed")
            size = entry.get("statusSize", 1)
            if size != 1:
                raise IssuerError(f"statusSize {size} is not supported (only 1)", code="status_malformed")
            if url not in lists:
                lists[url] = self._remembered(url)
            list_credential, bits = lists[url]
            _speaks_for(list_credential, url, credential)
            subject = list_credential.get("credentialSubject", {})
            purposes = subject.get("statusPurpose") if isinstance(subject, Mapping) else None
            purposes = [purposes] if isinstance(purposes, str) else purposes if isinstance(purposes, list) else []
            if not purposes or not all(isinstance(p, str) for p in purposes):
                raise IssuerError(f"the status list {url} names no statusPurpose as text", code="status_malformed")
            if purpose not in purposes:
                raise IssuerError(f"the status list {url} is for {purposes}, not {purpose!r}",
                                  code="status_verification")
            index = int(raw_index)
            status = int(bits.get(index))
            results.append(StatusResult(purpose, index, url, status, status == 0))
        return results

    def _remembered(self, url: str) -> tuple[Mapping[str, Any], Bitstring]:
        if self.memo is None:
            return self._load(url)
        if url not in self.memo:
            try:
                self.memo[url] = self._load(url)
            except IssuerError as exc:
                self.memo[url] = exc
        found = self.memo[url]
        if isinstance(found, IssuerError):
            raise found
        return found

    def _load(self, url: str) -> tuple[Mapping[str, Any], Bitstring]:
        try:
            doc = self.fetch(url)
        except IssuerError as exc:
            if exc.code != "fetch_failed":
                raise
            raise IssuerError(f"the status list {url} could not be fetched", code="status_retrieval",
                              status=502) from None
        except Exception:  # any transport failure is a retrieval error; its details are nobody's business
            raise IssuerError(f"the status list {url} could not be fetched", code="status_retrieval",
                              status=502) from None
        if "BitstringStatusListCredential" not in _types(doc):
            raise IssuerError(f"{url} is not a BitstringStatusListCredential", code="status_verification")
        self.verify_list(doc)
        subject = doc.get("credentialSubject")
        encoded = subject.get("encodedList") if isinstance(subject, Mapping) else None
        if not isinstance(encoded, str):
            raise IssuerError(f"{url} has no credentialSubject.encodedList", code="status_malformed")
        return doc, Bitstring.decode(encoded, min_length=self.min_length)


def _issuer_of(document: Mapping[str, Any]) -> str:
    issuer = document.get("issuer")
    if isinstance(issuer, Mapping):
        issuer = issuer.get("id")
    return issuer if isinstance(issuer, str) else ""


def _speaks_for(list_credential: Mapping[str, Any], url: str, credential: Mapping[str, Any]) -> None:
    """A genuine list says nothing about another issuer's credentials: a list anyone signed, served at the URL the
    entry names (or moved there from elsewhere), would otherwise clear a revoked credential. Same DID, not same key:
    the issuer's lists are re-signed with whichever of its keys is active (docs/decisions/025)."""
    if list_credential.get("id") != url:
        raise IssuerError(f"the status list at {url} gives its id as {list_credential.get('id')!r}; a status list "
                          f"must be published at its own id", code="status_verification")
    listed, issued = _issuer_of(list_credential), _issuer_of(credential)
    if not listed or listed != issued:
        raise IssuerError(f"the status list {url} is issued by {listed or 'no one'}, not by the credential's issuer "
                          f"{issued or '(none named)'}; only the issuer's own list can say whether it revoked or "
                          f"suspended the credential", code="status_verification")
