"""Decentralised identifiers of issuers: did:key and did:web, and a resolver for both."""

from issuer.did.key import did_key, did_key_verification_method, resolve_did_key
from issuer.did.resolver import DidResolver, authorised_for
from issuer.did.web import did_web_document, did_web_from_url, did_web_to_url

__all__ = [
    "DidResolver",
    "authorised_for",
    "did_key",
    "did_key_verification_method",
    "did_web_document",
    "did_web_from_url",
    "did_web_to_url",
    "resolve_did_key",
]
