"""The trust domain's door: the issuer trust book and the directory of this installation's issuing organisations."""

from __future__ import annotations

from starlette.requests import Request  # fastapi.Request, without importing FastAPI (a command's start-up)

from bridge.trust.organisations import IssuerDirectory, IssuerOrg
from bridge.trust.service import IssuerTrustBook


def trust_book(request: Request) -> IssuerTrustBook:
    """The process's trust book (the verifier's; built once by the composition root)."""
    book: IssuerTrustBook = request.app.state.trust_book
    return book


__all__ = ["IssuerDirectory", "IssuerOrg", "IssuerTrustBook", "trust_book"]
