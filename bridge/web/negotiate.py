"""Content negotiation: the same URL answers HTML for people and JSON for programs."""

from __future__ import annotations

from fastapi import Request
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, PackageLoader

#: The pages, read from the installed package (``bridge/templates``) with importlib.resources.
templates = Jinja2Templates(env=Environment(loader=PackageLoader("bridge", "templates"), autoescape=True))


def wants_json(request: Request) -> bool:
    """JSON when the client prefers it (``Accept: application/json`` or ``?format=json``)."""
    if request.query_params.get("format") == "json":
        return True
    accept = request.headers.get("accept", "")
    if not accept:
        return False
    best_html = accept_quality(accept, ("text/html", "application/xhtml+xml"))
    best_json = accept_quality(accept, ("application/json", "application/ld+json"))
    return best_json > best_html


def weighted(header: str) -> list[tuple[str, float]]:
    """The items of an Accept or Accept-Language header with their q values, in header order (lower-cased)."""
    items = []
    for part in header.split(","):
        token, _, params = part.strip().partition(";")
        q = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if token.strip():
            items.append((token.strip().lower(), q))
    return items


def accept_quality(accept: str, types: tuple[str, ...]) -> float:
    """The highest q the Accept header gives any of ``types`` (0 when none is acceptable)."""
    return max((q for media, q in weighted(accept) if media in types), default=0.0)
