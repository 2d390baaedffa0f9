"""The administrators' list of trusted issuers, and the registries' state (admin token required)."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

from fastapi import APIRouter, Depends
from fastapi.responses import Response
from pydantic import BaseModel, Field

from bridge.trust.api import trust_book as book
from bridge.trust.service import IssuerTrustBook
from bridge.web.admin import require_admin

# what check_did(bare_did(…)) accepts: registry.DID, with blanks around it and a fragment or query after it
DID_INPUT = r"^\s*did:[a-z0-9]+:[A-Za-z0-9._:%-]+\s*([?#].*)?$"

router = APIRouter(tags=["issuer trust"], dependencies=[Depends(require_admin)],
                   responses={401: {"description": "no or wrong admin token"}})


class TrustIn(BaseModel):
    # the rules IssuerTrustBook.trust checks, stated in the schema
    did: str = Field(examples=["did:web:university.example"], description="the issuer's DID",
                     json_schema_extra={"pattern": DID_INPUT})
    name: str = Field(min_length=1, max_length=300, description="the name LEADS shows for this issuer",
                      json_schema_extra={"pattern": r"\S"})
    url: str | None = Field(default=None, description="the issuer's web site",
                            json_schema_extra={"pattern": "^https?://"})


@router.get("/api/issuers/trusted", summary="Issuers trusted here: the administrators' list and the registries")
def listing(trust: IssuerTrustBook = Depends(book)) -> dict[str, Any]:
    return {"trusted": [t.as_dict() for t in trust.trusted()],
            "registries": [s.as_dict() for s in trust.registries.status()]}


@router.post("/api/issuers/trusted", status_code=201, summary="Trust an issuer (or rename one already trusted)",
             responses={422: {"description": "not a DID, or no name"}, 409: {"description": "an own issuer"}})
def add(body: TrustIn, trust: IssuerTrustBook = Depends(book)) -> dict[str, Any]:
    return trust.trust(body.did, body.name, body.url).as_dict()


@router.delete("/api/issuers/trusted/{did:path}", status_code=204, summary="Stop trusting an issuer")
def remove(did: str, trust: IssuerTrustBook = Depends(book)) -> Response:
    trust.untrust(unquote(did))
    return Response(status_code=204)


@router.post("/api/issuers/registries/refresh", summary="Fetch every configured issuer registry now")
def refresh(trust: IssuerTrustBook = Depends(book)) -> dict[str, Any]:
    return {"registries": [s.as_dict() for s in trust.refresh()]}
