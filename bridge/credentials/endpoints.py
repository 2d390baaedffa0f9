"""Credential routes: issue (admin), read by content negotiation, revoke / suspend (admin), status lists,
DID documents and verification. Signing blocks, so every route that signs is a plain ``def`` (threadpool)."""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field, field_validator
from starlette.concurrency import run_in_threadpool

from bridge.credentials.api import credential_service as service
from bridge.credentials.api import verifier
from bridge.credentials.service import CredentialService, IssueInput
from bridge.credentials.tables import IssuedCredentialRow
from bridge.errors import LeadsError, NotFound
from bridge.web.admin import require_admin
from bridge.web.openapi import ENUM_MARK, answers
from bridge.web.text import REASON_SCHEMA
from issuer import jsonbound
from issuer.documents.names import MAX_NAME_LENGTH, clean_name, name_problem
from issuer.status import DEFAULT_TTL_MS

router = APIRouter(tags=["credentials"])
JSONLD = "application/ld+json"
STATUS_MAX_AGE = 60  # seconds; well below the list's ttl so revocations show within a minute


# rules the domain checks, stated in the schema (the models do not re-check them: the domain's messages stay)
URI_PATTERN = r"^[a-zA-Z][a-zA-Z0-9+.-]*:\S+$"  # issuer.documents.model.require_uri


class LearnerIn(BaseModel):
    name: str = Field(min_length=1, max_length=MAX_NAME_LENGTH, examples=["Ada Lovelace"],
                      description="any script; no control or text-direction characters")
    id: str | None = Field(default=None, description="a URI for the learner (DID, urn:…)",
                           json_schema_extra={"pattern": URI_PATTERN})
    email: str | None = Field(default=None, description="stored and published only as a salted SHA-256 hash")

    @field_validator("name")
    @classmethod
    def _one_name_rule(cls, value: str) -> str:
        problem = name_problem(value)
        if problem:
            raise ValueError(problem)
        return clean_name(value)


class IssueBody(BaseModel):
    design: str = Field(description="credential design key (one of the data space's)", examples=["glam-mc-rights"],
                        json_schema_extra={ENUM_MARK: "design"})
    learner: LearnerIn
    format: str = Field(default="ob3", description="ob3 | edc | jwt", pattern="^(ob3|edc|jwt)$")
    grade: str | None = Field(default=None, examples=["A"])
    issuer: str | None = Field(default=None, description="issuing organisation slug (default: this installation)")
    course: str | None = None


class ReasonBody(BaseModel):
    reason: str = Field(min_length=1, max_length=2000, json_schema_extra=REASON_SCHEMA,
                        description="for the record: kept with the credential and answered to administrators; the "
                                    "certificate page and verifications never show it")


def _summary(svc: CredentialService, row: IssuedCredentialRow) -> dict[str, Any]:
    return {
        "id": row.id, "credential_id": f"urn:uuid:{row.id}", "url": svc.credential_url(row.id),
        "format": row.format, "design": row.design_key, "issuer": row.issuer_slug,
        "revoked": row.revoked, "revoked_reason": row.revoked_reason,
        "suspended": row.suspended, "suspended_reason": row.suspended_reason,
        "created": row.created.isoformat(),
    }


# the status lists first: every verifier anywhere fetches them, and the router tries routes in order
@router.get("/status/{list_id}", summary="A signed BitstringStatusListCredential (short cache, ETag)",
            responses={**answers("application/vc+ld+json"), 304: {"description": "not modified (ETag)"}})
async def status_list(list_id: str, request: Request) -> Response:
    """Async: answered from the process's short-lived copy without a thread; read (or re-signed) in the
    threadpool when that copy is older than ``STATUS_LIST_SECONDS``."""
    svc = service(request)
    served, _refresh = svc.lists.lookup(list_id)
    if served is None:
        served = await run_in_threadpool(svc.served_status_list, list_id)
    max_age = min(STATUS_MAX_AGE, DEFAULT_TTL_MS // 1000)
    return served.response(request.headers.get("if-none-match", ""), {"Cache-Control": f"public, max-age={max_age}"})


@router.post("/api/credentials", status_code=201, dependencies=[Depends(require_admin)],
             summary="Issue a signed credential from a design key and a learner",
             responses={401: {"description": "no or wrong admin token"}, 404: {"description": "unknown design"},
                        422: {"description": "bad input, or the EDC does not conform to its shapes"}})
def issue(body: IssueBody, svc: CredentialService = Depends(service)) -> dict[str, Any]:
    row = svc.issue(IssueInput(design_key=body.design, learner_name=body.learner.name, format=body.format,
                               learner_id=body.learner.id, learner_email=body.learner.email, grade=body.grade,
                               issuer_slug=body.issuer, course=body.course))
    return {**_summary(svc, row), "credential": row.document.get("jwt", row.document)}


@router.post("/api/credentials/{credential_id}/revoke", dependencies=[Depends(require_admin)],
             summary="Revoke (final): sets the bit in the revocation list and re-signs the list")
def revoke(credential_id: str, body: ReasonBody, svc: CredentialService = Depends(service)) -> dict[str, Any]:
    return _summary(svc, svc.revoke(credential_id, body.reason))


@router.post("/api/credentials/{credential_id}/suspend", dependencies=[Depends(require_admin)],
             summary="Suspend (reversible with /unsuspend)")
def suspend(credential_id: str, body: ReasonBody, svc: CredentialService = Depends(service)) -> dict[str, Any]:
    return _summary(svc, svc.suspend(credential_id, body.reason))


@router.post("/api/credentials/{credential_id}/unsuspend", dependencies=[Depends(require_admin)],
             summary="Lift a suspension")
def unsuspend(credential_id: str, body: ReasonBody, svc: CredentialService = Depends(service)) -> dict[str, Any]:
    return _summary(svc, svc.unsuspend(credential_id, body.reason))


@router.get("/.well-known/did.json", summary="The DID document of this installation (did:web)",
            responses=answers("application/did+json"))
def root_did(svc: CredentialService = Depends(service)) -> JSONResponse:
    org = svc.directory.root
    return JSONResponse(svc.directory.did_document(org), media_type="application/did+json")


@router.get("/issuers/{slug}/did.json", summary="The DID document of an issuing organisation",
            responses=answers("application/did+json"))
def issuer_did(slug: str, svc: CredentialService = Depends(service)) -> JSONResponse:
    org = svc.directory.get(slug)
    if org.root:
        raise NotFound("%(slug)s is this installation itself: its DID document is /.well-known/did.json",
                       code="issuer_not_found", params={"slug": repr(slug)})
    return JSONResponse(svc.directory.did_document(org), media_type="application/did+json")


@router.post("/api/verify", summary="Verify a credential (JSON) or a VC-JOSE JWT: every check with its outcome",
             openapi_extra={"requestBody": {"content": {"application/json": {"schema": {"type": "object"}},
                                                        "text/plain": {"schema": {"type": "string"}}}}})
async def verify(request: Request) -> Response:
    """Anything else than a JSON object or a compact JWT is refused (422) before any check runs."""
    raw = await request.body()  # read here (async); checking runs in the threadpool: it canonicalises and hashes
    report = await run_in_threadpool(_verify_raw, request, raw)
    return JSONResponse(report)


COMPACT_JWS = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*")


def _verify_raw(request: Request, raw: bytes) -> dict[str, Any]:
    text = raw.decode("utf-8", errors="replace").strip()
    if not text:
        raise LeadsError("send the credential (JSON) or its JWT as the request body", code="empty_body",
                         status=422)
    credential: dict[str, Any] | str = text
    if text.startswith('"'):  # a JWT sent as a JSON string
        try:
            credential = str(jsonbound.loads(text))
        except ValueError:
            raise LeadsError("the body is neither JSON nor a JWT", code="invalid_body", status=422) from None
    elif text.startswith(("{", "[")):
        try:
            parsed = jsonbound.loads(text)  # JsonTooDeep: 400
        except ValueError as exc:
            raise LeadsError("the body is not valid JSON: %(exc)s", code="invalid_body", status=422,
                             params={"exc": exc}) from None
        if not isinstance(parsed, dict):
            raise LeadsError("the body is JSON but not an object: send the credential (a JSON object) or its JWT",
                             code="invalid_body", status=422)
        credential = parsed.get("credential", parsed)
        if isinstance(credential, dict) and "jwt" in credential and len(credential) == 1:
            credential = str(credential["jwt"])
    if isinstance(credential, str) and not COMPACT_JWS.fullmatch(credential.strip()):
        raise LeadsError("the body is neither a credential (a JSON object) nor a JWT (three base64url parts "
                         "separated by dots)", code="invalid_body", status=422)
    return verifier(request).verify(credential).as_dict()
