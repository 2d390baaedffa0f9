"""Give every P- and Q-number in wbgetentities JSON another number, as a different Wikibase would."""

from __future__ import annotations

import re
from typing import Any

_ID = re.compile(r"^[PQ][1-9][0-9]*$")


def id_mapping(dump: dict[str, Any], p_offset: int = 700, q_offset: int = 4000) -> dict[str, str]:
    """Reversed order plus an offset, so neither the numbers nor their order match the original."""
    ids = list(dump["entities"])
    props = [i for i in ids if i.startswith("P")][::-1]
    items = [i for i in ids if i.startswith("Q")][::-1]
    return ({old: f"P{p_offset + n}" for n, old in enumerate(props, start=1)}
            | {old: f"Q{q_offset + n}" for n, old in enumerate(items, start=1)})


def renumber(obj: Any, mapping: dict[str, str]) -> Any:
    if isinstance(obj, dict):
        out = {mapping.get(k, k): renumber(v, mapping) for k, v in obj.items()}
        if "numeric-id" in out and isinstance(out.get("id"), str):
            out["numeric-id"] = int(out["id"][1:])
        return out
    if isinstance(obj, list):
        return [renumber(v, mapping) for v in obj]
    if isinstance(obj, str):
        if _ID.match(obj):
            return mapping.get(obj, obj)
        if "$" in obj and obj.split("$", 1)[0] in mapping:
            head, tail = obj.split("$", 1)
            return f"{mapping[head]}${tail}"
        if ":" in obj and obj.rsplit(":", 1)[-1] in mapping and obj.split(":", 1)[0] in ("Item", "Property"):
            ns, eid = obj.rsplit(":", 1)
            return f"{ns}:{mapping[eid]}"
    return obj
