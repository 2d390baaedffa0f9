"""A NUL character (U+0000) in a request's address: no id, key or name LEADS keeps can hold one, and PostgreSQL
refuses it in every text value (psycopg raises before the query is sent), which was a server error on some thirty
routes. The request bounds (``bridge.web.bounds``) refuse it in the path and the query with 422 before any route
runs (naming the query parameter for programs); the OpenAPI document says so on every path and query parameter.

Bodies are left to the routes: a JSON or form body may carry members a route never reads, and refusing those
would refuse requests the document allows. A NUL that a route does store or look up reaches PostgreSQL, and the
error handler (``bridge.web.errors``) answers it with the same 422; nothing was stored, the transaction rolled
back. SQLite keeps such a value as it came."""

from __future__ import annotations

from urllib.parse import parse_qsl

from starlette.types import Scope, Send

from bridge.web.refusal import refuse, translate

_n = str  # marks msgids for extraction; translated in refusal.translate

NUL_CHARACTER = _n("The request contains a NUL character (U+0000), which no address of LEADS accepts.")
NUL_AT = _n("The value of %(name)s contains a NUL character (U+0000), which no address of LEADS accepts.")
NUL_HINT = _n("Remove it (in an address it is written %(escaped)s) and send the request again.")

NOWHERE = ""  # a NUL was found, but not inside a named parameter


def in_path(scope: Scope) -> str | None:
    return NOWHERE if "\x00" in str(scope.get("path", "")) else None


def in_encoded(encoded: bytes) -> str | None:
    """The first parameter of a query string whose name or value holds a NUL, ``%00`` or raw."""
    if b"%00" not in encoded and b"\x00" not in encoded:
        return None
    for key, value in parse_qsl(encoded.decode("latin-1"), keep_blank_values=True):
        if "\x00" in key or "\x00" in value:
            return key.replace("\x00", "")
    return NOWHERE


async def refuse_nul(scope: Scope, send: Send, where: str) -> None:
    """People read the sentence; programs also get the parameter's name (``problems``), as in a route's 422."""
    problems = [{"entity": "request", "property": where, "message": translate(scope, NUL_AT, name=where)}] \
        if where else None
    await refuse(scope, send, 422, "nul_character", translate(scope, NUL_CHARACTER),
                 translate(scope, NUL_HINT, escaped="%00"), problems=problems)
