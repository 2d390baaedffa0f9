"""Page language for the wallet and pool-publishing strings (the Spanish catalogue of bridge.i18n)."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Request

from bridge.i18n import negotiate, translations


def gettext_for_request(request: Request) -> Callable[[str], str]:
    """``_`` for a template: ``?lang=`` first, then Accept-Language, then English."""
    lang = negotiate(request.query_params.get("lang"), request.headers.get("accept-language"))
    return translations(lang).gettext
