"""Page language for the wallet and pool-publishing strings (the Spanish catalogue of bridge.i18n)."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Request

from bridge.i18n import translations


def gettext_for_request(request: Request) -> Callable[[str], str]:
    """``_`` for a template: ``?lang=`` first, then the chosen language (cookie), then Accept-Language, then English."""
    from bridge.web.negotiate import request_lang

    lang = request_lang(request)
    return translations(lang).gettext
