"""Publishing from "My certificates" inside an LTI launch: the launch says who the learner is (no token needed).

The launch id in the path is the capability, as on the award pages; signing never happens here, only verification
of a credential LEADS already signed.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from bridge.awards.api import Award, Who, awards_of, who_for_launch
from bridge.credentials.api import IssuedCredentialRow, credential_service
from bridge.dataspace.api import current_index
from bridge.db import Database
from bridge.errors import LeadsError, Term
from bridge.i18n import gettext_for_request
from bridge.pool import evidence, service
from bridge.pool.api import pool_verifier
from bridge.web.negotiate import request_lang, templates, wants_json
from bridge.web.params import RowId

router = APIRouter(tags=["pool"])
NOT_YOURS = Term("inside your course you can publish only your own certificates (the course says who you are); a "
                 "certificate of someone else is theirs to publish")


def _db(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


def _credential(row: IssuedCredentialRow) -> dict[str, Any] | str:
    return str(row.document["jwt"]) if row.format == "jwt" else row.document


def _issued(request: Request, who: Who) -> list[tuple[Award, IssuedCredentialRow]]:
    db = _db(request)
    credentials = credential_service(request)
    with db.session() as session:
        rows = [a for a in awards_of(session, who.learner) if a.state == "issued" and a.credential_id]
    return [(a, credentials.get(str(a.credential_id))) for a in rows]


@router.get("/pool/launch/{launch_id}", summary="Publish my certificates in the pool (inside the LTI launch)")
def my_pool(request: Request, launch_id: str) -> Response:
    who = who_for_launch(request, launch_id)
    db = _db(request)
    published = service.learner_entries(db, who.learner)
    lang = request_lang(request)
    labels = {key: e.label(lang) for key, e in current_index(db).by_key.items()}
    profile = service.learner_profile_handle(db, who.learner)
    # one the pool does not show (suspended, revoked, no longer trusted) is said so, with why, not "in the pool"
    why = {e["id"]: e["hidden_because"] for e in evidence.owner_entries(db, profile)} if profile else {}
    items = []
    for award, row in _issued(request, who):
        entry = published.get(service.fingerprint(_credential(row)))
        items.append({"award": award.id, "label": labels.get(award.achievement, award.achievement), "entry": entry,
                      "hidden_because": why.get(entry) if entry else None})
    body = {"learner": who.learner, "profile": profile, "credentials": items}
    if wants_json(request):
        return JSONResponse(body)
    return templates.TemplateResponse(request, "pool/launch.html", {**body, "launch_id": launch_id,
                                      "message": request.query_params.get("m", ""),
                                      "_": gettext_for_request(request)},
                                      headers={"Cache-Control": "no-store"})


@router.post("/pool/launch/{launch_id}/publish/{award_id}", summary="Publish one of my certificates in the pool")
def publish(request: Request, launch_id: str, award_id: str) -> Response:
    who = who_for_launch(request, launch_id)
    found = next(((a, row) for a, row in _issued(request, who) if a.id == award_id), None)
    if found is None:
        raise service.PoolRefused("%(award_id)s is not one of your issued certificates: %(not_yours)s", "not_yours",
                                  status=403, params={"award_id": award_id, "not_yours": NOT_YOURS})
    service.publish_for_learner(_db(request), pool_verifier(request), learner=who.learner,
                                display_name=who.name or "LEADS learner", credential=_credential(found[1]),
                                entity_base=request.app.state.settings.entity_base)
    return RedirectResponse(f"/pool/launch/{launch_id}?m=published", status_code=303)


@router.post("/pool/launch/{launch_id}/publish", summary="Publish a pasted credential: only one of my own")
def publish_pasted(request: Request, launch_id: str, credential_text: Annotated[str, Form()] = "") -> Response:
    """The launch proves who the learner is, so a credential is accepted only when it is one LEADS issued for one
    of this learner's awards (any format, wallet-bound copies included); anyone else's is refused, saying why."""
    who = who_for_launch(request, launch_id)
    raw = credential_text.strip()
    try:
        credential: dict[str, Any] | str = json.loads(raw) if raw.startswith("{") else raw
    except json.JSONDecodeError as exc:
        raise LeadsError("the credential is not valid JSON (%(msg)s, line %(lineno)s)", code="invalid_json",
                         status=422, params={"msg": exc.msg, "lineno": exc.lineno}) from None
    if not credential:
        raise LeadsError("paste the credential (JSON or JWT)", code="empty_credential", status=422)
    if not _is_own(request, who, credential):
        raise service.PoolRefused("this credential was not issued to you: %(not_yours)s", "not_yours", status=403,
                                  params={"not_yours": NOT_YOURS})
    service.publish_for_learner(_db(request), pool_verifier(request), learner=who.learner,
                                display_name=who.name or "LEADS learner", credential=credential,
                                entity_base=request.app.state.settings.entity_base)
    return RedirectResponse(f"/pool/launch/{launch_id}?m=published", status_code=303)


def _is_own(request: Request, who: Who, credential: dict[str, Any] | str) -> bool:
    """True when the credential is a row LEADS issued for an award of this learner, exactly as stored."""
    document = credential if isinstance(credential, dict) else _payload(credential)
    cid = str(document.get("id", "")) if document else ""
    if not cid.startswith("urn:uuid:"):
        return False
    with _db(request).session() as session:
        row = session.get(IssuedCredentialRow, cid.removeprefix("urn:uuid:"))
        if row is None or not row.award_id or _credential(row) != credential:
            return False
        award = session.get(Award, row.award_id.split(":", 1)[0].split("-", 1)[0])
        return award is not None and award.learner == who.learner


def _payload(token: str) -> dict[str, Any] | None:
    from issuer.errors import IssuerError
    from issuer.proofs.jose import peek

    try:
        return peek(token).payload
    except IssuerError:
        return None


@router.post("/pool/launch/{launch_id}/unpublish/{entry_id}", summary="Take one of my certificates out of the pool")
def unpublish(request: Request, launch_id: str, entry_id: RowId) -> Response:
    who = who_for_launch(request, launch_id)
    service.unpublish_for_learner(_db(request), learner=who.learner, entry_id=entry_id)
    return RedirectResponse(f"/pool/launch/{launch_id}?m=unpublished", status_code=303)


@router.post("/pool/launch/{launch_id}/delete-profile", summary="Delete my pool profile and all I published on it")
def delete_profile(request: Request, launch_id: str, confirm: Annotated[str, Form()] = "") -> Response:
    who = who_for_launch(request, launch_id)
    service.delete_learner_profile(_db(request), who.learner, confirmed=confirm == "yes")
    return RedirectResponse(f"/pool/launch/{launch_id}?m=deleted", status_code=303)
