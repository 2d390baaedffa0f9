"""The wallets domain's door: the OpenID4VCI service and the wallet offer shown beside an issued award.

The award pages sit below this domain, so they receive ``offer_view`` through the composition root
(``app.state.wallet_offers``) rather than importing it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import Request

from bridge.credentials.api import credential_service
from bridge.wallets import nonces
from bridge.wallets.service import OAuthError, WalletService
from issuer.qr import make_qr


def wallet_service(request: Request) -> WalletService:
    state = request.app.state
    return WalletService(state.db, credential_service(request), clock=getattr(state, "clock", None))


def offer_view(request: Request, award_id: str, learner: str, _: Callable[[str], str]) -> dict[str, Any]:
    """A fresh offer of an issued award, as the deep link and its QR code (for My certificates and the claim page)."""
    offer = wallet_service(request).create_offer(award_id, learner)
    link = offer.deep_link
    return {"deep_link": link, "expires_at": offer.expires_at.isoformat(),
            "qr_svg": make_qr(link, level="M").svg(title=_("Scan with your wallet app"), module_px=4)}


__all__ = ["OAuthError", "WalletService", "nonces", "offer_view", "wallet_service"]
