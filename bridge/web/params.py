"""Path parameters shared by routes: a row id fits the database's integer column, so a huge number is a 422 and
never reaches the driver (SQLite and PostgreSQL refuse integers beyond their column, as a server error)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path

from bridge.db.base import ROW_ID_MAX

RowId = Annotated[int, Path(ge=1, le=ROW_ID_MAX, description="a row id (1 to 2147483647)")]
