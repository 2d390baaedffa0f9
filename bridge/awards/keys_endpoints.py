"""Admin routes for the issuers' signing keys: list, rotate, retire a compromised key (decision 025).

Thin: each route calls ``bridge.credentials.keys.KeyManager``; retiring wires the award pipeline's re-queue in (the
one place where the two domains meet for this use case). Plain ``def`` routes: rotating and retiring sign.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import APIRouter, Body, Depends, Request

from bridge.awards.service import requeue_replaced
from bridge.credentials.api import KeyManager
from bridge.credentials.api import credential_service as service
from bridge.web.admin import require_admin
from bridge.web.text import NOT_BLANK, NUL_FREE

router = APIRouter(tags=["issuer keys"], dependencies=[Depends(require_admin)])


def _manager(request: Request) -> KeyManager:
    return KeyManager(service(request))


@router.get("/api/admin/issuers/{org}/keys", summary="The organisation's signing keys and what each signed")
def list_keys(org: str, request: Request) -> dict[str, Any]:
    return {"org": org, "keys": _manager(request).keys_of(org)}


@router.post("/api/admin/issuers/{org}/keys/rotate", summary="A new active key; earlier keys keep verifying")
def rotate_key(org: str, request: Request) -> dict[str, Any]:
    return {"org": org, "key": _manager(request).rotate(org).as_dict()}


@router.post("/api/admin/issuers/{org}/keys/{key_id}/retire",
             summary="Retire a compromised key: its credentials are revoked with the reason and re-issued")
def retire_key(org: str, key_id: str, request: Request,
               reason: str = Body(..., embed=True, pattern=NOT_BLANK,
                                  json_schema_extra={"allOf": [{"pattern": NUL_FREE}]},
                                  description="why (kept; shown in the status check)"),
               ) -> dict[str, Any]:
    manager = _manager(request)

    def requeue(keys: Sequence[str], why: str, notice: str) -> list[str]:
        with manager.service.db.session() as session:
            return requeue_replaced(session, keys, why, notice)

    return manager.retire(org, key_id, reason, requeue=requeue).as_dict()
