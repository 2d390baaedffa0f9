"""OpenID4VCI routes: issuer and authorization server metadata, token, nonce and credential endpoints.

Errors here are OAuth error responses (``{"error", "error_description"}``, ``Cache-Control: no-store``) whatever
the Accept header: the caller is a wallet, never a person.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Header, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from bridge.errors import LeadsError
from bridge.wallets.api import wallet_service
from bridge.wallets.service import OAuthError

router = APIRouter(tags=["wallets (OpenID4VCI)"])
NO_STORE = {"Cache-Control": "no-store"}


def _answer(work: Callable[[], dict[str, Any]]) -> Response:
    try:
        return JSONResponse(work(), headers=NO_STORE)
    except LeadsError as exc:
        body = {"error": exc.code, "error_description": exc.message}
        headers = dict(NO_STORE)
        if exc.status == 401:
            headers["WWW-Authenticate"] = f'Bearer error="{exc.code}"'
        return JSONResponse(body, status_code=exc.status, headers=headers)


@router.get("/.well-known/openid-credential-issuer", summary="OpenID4VCI credential issuer metadata")
def issuer_metadata(request: Request) -> Response:
    return JSONResponse(wallet_service(request).metadata())


@router.get("/.well-known/oauth-authorization-server", summary="OAuth authorization server metadata (RFC 8414)")
def authorization_server_metadata(request: Request) -> Response:
    return JSONResponse(wallet_service(request).authorization_server_metadata())


@router.post("/oid4vci/token", summary="Token endpoint: redeem a pre-authorized code (once)")
async def token(request: Request) -> Response:
    form = await request.form()
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    service = wallet_service(request)
    return await run_in_threadpool(_answer, lambda: service.token(fields))


@router.post("/oid4vci/nonce", summary="Nonce endpoint: a fresh c_nonce for the key proof")
def nonce(request: Request) -> Response:
    return _answer(wallet_service(request).nonce)


@router.post("/oid4vci/credential", summary="Credential endpoint: the holder-bound credential")
async def credential(request: Request, authorization: Annotated[str | None, Header()] = None) -> Response:
    try:
        body = await request.json()
    except ValueError:
        body = None
    service = wallet_service(request)

    def work() -> dict[str, Any]:  # signing is blocking CPU work: off the event loop
        if not isinstance(body, dict):
            raise OAuthError("the credential request must be a JSON object", "invalid_credential_request")
        return service.credential(authorization, body)

    return await run_in_threadpool(_answer, work)
