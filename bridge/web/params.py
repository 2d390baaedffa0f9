"""Parameters shared by routes: a row id fits the database's integer column, so a huge number is a 422 and never
reaches the driver (SQLite and PostgreSQL refuse integers beyond their column, as a server error); a list shown a
page at a time takes the position of its next page (bridge.db.keyset) and links to the next and the first page."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import Path, Query, Request

from bridge.db.base import ROW_ID_MAX

RowId = Annotated[int, Path(ge=1, le=ROW_ID_MAX, description="a row id (1 to 2147483647)")]

After = Annotated[str | None, Query(
    description="where the page starts: the 'after' of the previous page's 'next' link; empty: the first",
    json_schema_extra={"pattern": r"^[A-Za-z0-9_-]*={0,2}$"}, max_length=2000)]


def page_links(request: Request, after: str | None) -> dict[str, str | None]:
    """The next page (this query from ``after``, the next page's position) and the first (when not on it)."""
    params = {k: v for k, v in request.query_params.items() if k != "after"}
    here = request.url.path
    on_first = not request.query_params.get("after")
    return {"next": f"{here}?{urlencode({**params, 'after': after})}" if after else None,
            "first": None if on_first else (f"{here}?{urlencode(params)}" if params else here)}
