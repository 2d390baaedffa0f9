"""did:web: the DID of an issuer served by this installation, its DID document, and the DID → URL mapping.

Mapping (did:web method specification): ``did:web:example.org`` → ``https://example.org/.well-known/did.json``;
``did:web:example.org:orgs:wmde`` → ``https://example.org/orgs/wmde/did.json``; a port is written ``%3A``
(``did:web:localhost%3A8443`` → ``https://localhost:8443/.well-known/did.json``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from issuer.did.key import DID_CONTEXT, MULTIKEY_CONTEXT
from issuer.errors import DidResolutionFailed, IssuerError
from issuer.keys.store import KeyRecord


def did_web_from_url(base_url: str, path: str | Iterable[str] = ()) -> str:
    """The did:web for a host (and optional path segments), e.g. ``https://h:8443`` + ``orgs/wmde``."""
    parts = urlsplit(base_url if "//" in base_url else f"https://{base_url}")
    if not parts.hostname:
        raise IssuerError(f"{base_url!r} has no host name to build a did:web from", code="invalid_did_web")
    host = parts.hostname if parts.port is None else f"{parts.hostname}:{parts.port}"
    segments = [s for s in parts.path.split("/") if s]
    extra = [s for s in path.split("/") if s] if isinstance(path, str) else list(path)
    segments += extra
    return ":".join(["did:web", quote(host, safe="")] + [quote(s, safe="") for s in segments])


def did_web_to_url(did: str, *, insecure_hosts: Iterable[str] = ()) -> str:
    """The URL of the DID document; ``http`` only for hosts listed in ``insecure_hosts`` (local development)."""
    bare = did.split("#", 1)[0]
    if not bare.startswith("did:web:") or len(bare) <= len("did:web:"):
        raise DidResolutionFailed(f"{did!r} is not a did:web")
    segments = [unquote(s) for s in bare[len("did:web:"):].split(":")]
    host, path = segments[0], segments[1:]
    if not host or any(not s or "/" in s for s in path) or "/" in host:
        raise DidResolutionFailed(f"{did!r} is not a well-formed did:web")
    scheme = "http" if host in set(insecure_hosts) else "https"
    if path:
        return f"{scheme}://{host}/{'/'.join(quote(s) for s in path)}/did.json"
    return f"{scheme}://{host}/.well-known/did.json"


def did_web_document(did: str, keys: Iterable[KeyRecord], *, also_known_as: Iterable[str] = ()) -> dict[str, Any]:
    """The DID document: every key (rotated and retired ones included) as a Multikey; every key but the retired
    ones authorised for assertionMethod, so what a rotated key signed still verifies and what a retired (stolen)
    key signed does not (decision 025)."""
    records = list(keys)
    if not records:
        raise IssuerError(f"{did} has no keys to publish", code="no_keys", status=500)
    methods = [
        {"id": f"{did}#{k.key_id}", "type": "Multikey", "controller": did, "publicKeyMultibase": k.public_key_multibase}
        for k in records
    ]
    active = [m["id"] for m, k in zip(methods, records, strict=True) if k.active] or [methods[-1]["id"]]
    doc: dict[str, Any] = {
        "@context": [DID_CONTEXT, MULTIKEY_CONTEXT],
        "id": did,
        "verificationMethod": methods,
        "assertionMethod": [m["id"] for m, k in zip(methods, records, strict=True) if not k.retired],
        "authentication": active,
    }
    aka = list(also_known_as)
    if aka:
        doc["alsoKnownAs"] = aka
    return doc
