"""The one error base of the issuer package: a stable ``code``, an HTTP ``status``, a message saying how to fix it.

The bridge renders these with ``bridge.web.errors.register_error_type``; issuer code never imports bridge.
"""

from __future__ import annotations

from typing import Any


class IssuerError(Exception):
    """Base of every issuer error."""

    code: str = "issuer_error"
    status: int = 400

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        status: int | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status
        self.details: dict[str, Any] = dict(details or {})

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"error": self.code, "message": self.message}
        body.update(self.details)
        return body


class UndefinedTerm(IssuerError):
    """A property or type that the document's @context does not define: refused rather than dropped silently."""

    code = "undefined_term"
    status = 422


class JsonLdFailed(IssuerError):
    """JSON-LD processing failed (bad @context, protected term redefinition, invalid value)."""

    code = "jsonld_error"
    status = 422


class UnknownContext(IssuerError):
    """A context URL that is not bundled: the offline loader never fetches from the network."""

    code = "unknown_context"
    status = 422


class ProofInvalid(IssuerError):
    """A proof or signature that does not verify, or that is malformed."""

    code = "proof_invalid"
    status = 422


class KeyError_(IssuerError):
    """A key that cannot be read, decoded or found (wrong passphrase, bad multikey)."""

    code = "key_error"
    status = 400


class DidResolutionFailed(IssuerError):
    """A DID that cannot be resolved or whose document is not usable."""

    code = "did_resolution_failed"
    status = 422


class UnsupportedFeature(IssuerError):
    """A method, cryptosuite, algorithm or registry name this installation does not provide."""

    code = "unsupported"
    status = 422
