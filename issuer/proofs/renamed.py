"""What a verifier reads by name must be what was signed.

A Data Integrity proof signs the document's RDF graph, not its JSON: the same statement can be written under another
key and still verify — an inline ``@context`` entry that gives ``credentialStatus``'s IRI a new term, the IRI itself as
the key, a compact IRI. Verification reads the status entries and the dates by their JSON names, so a credential with
its ``credentialStatus`` (or ``validUntil``) written under another key would verify as never revoked (never expiring)
while its signature still holds. Here the statements the checks rely on are read back from the canonical N-Quads the
signature covers and compared with what the JSON names say; any difference means some were written under another
name, and the proof is not accepted.

The same statements can also be written under their own names but somewhere else in the JSON: in an ``@nest``
object, in an ``@included`` node (or any nested node) with the credential's own ``id``, or through ``@reverse``. The
graph, so the signature, is the same; the verifier, reading the top-level names, would find no status and no dates.
``restructured`` finds those keywords (as keys, or aliased in an inline ``@context``, which is the only place an alias
can come from: the bundled contexts alias ``id`` and ``type`` only) and nested nodes that reuse the credential's id.
"""

from __future__ import annotations

import json
import re
from typing import Any

CRED = "https://www.w3.org/2018/credentials#"
# JSON term → the IRI it stands for in the VC contexts (v1 and v2 share the credentials vocabulary)
CHECKED = {
    "credentialStatus": f"{CRED}credentialStatus",
    "validFrom": f"{CRED}validFrom",
    "validUntil": f"{CRED}validUntil",
    "issuanceDate": f"{CRED}issuanceDate",
    "expirationDate": f"{CRED}expirationDate",
}
_LITERAL = re.compile(r'"((?:[^"\\]|\\.)*)"')


_BY_IRI = {f"<{iri}>": term for term, iri in CHECKED.items()}


def _signed(canonical: str) -> dict[str, list[str]]:
    """Each checked term's objects in the canonical N-Quads: ``<iri>``, ``_:label`` or a literal's lexical form."""
    found: dict[str, list[str]] = {term: [] for term in CHECKED}
    for line in canonical.splitlines():
        if CRED not in line:
            continue
        parts = line.split(" ", 2)  # subject, predicate, the rest (subjects are IRIs or blank labels: no spaces)
        term = _BY_IRI.get(parts[1]) if len(parts) == 3 else None
        if term is None:
            continue
        rest = parts[2]
        if rest.startswith('"'):
            match = _LITERAL.match(rest)
            if match:
                found[term].append(json.loads(f'"{match.group(1)}"') if "\\" in match.group(1) else match.group(1))
        else:
            found[term].append(rest.split(" ", 1)[0])
    return found


def _said(document: Any, found: dict[str, list[Any]]) -> None:
    """Every value the JSON gives under a checked term, at any depth (a presentation's credentials too)."""
    if isinstance(document, dict):
        for key, value in document.items():
            if key == "@context":
                continue
            if key in found:
                found[key] += value if isinstance(value, list) else [value]
            _said(value, found)
    elif isinstance(document, list):
        for item in document:
            _said(item, found)


def _json_side(term: str, value: Any) -> str | None:
    """What the graph shows for one JSON value: an entry's ``id`` (``None``: a blank node), a literal's text."""
    if term == "credentialStatus":
        if isinstance(value, str):
            return f"<{value}>"
        return f"<{value['id']}>" if isinstance(value, dict) and isinstance(value.get("id"), str) else None
    if isinstance(value, dict):
        value = value.get("@value")
    return value if isinstance(value, str) else None


def renamed(document: dict[str, Any], canonical: str) -> list[str]:
    """The checked terms whose signed statements differ from what the JSON says under their names."""
    signed = _signed(canonical)
    values: dict[str, list[Any]] = {term: [] for term in CHECKED}
    _said(document, values)
    found = []
    for term in CHECKED:
        said = [_json_side(term, v) for v in values[term]]
        if term == "credentialStatus":  # blank nodes have canonical labels: compare the named ones and the count
            same = ({o for o in signed[term] if o.startswith("<")} == {s for s in said if s is not None}
                    and sum(o.startswith("_:") for o in signed[term]) == sum(s is None for s in said))
        else:
            same = set(signed[term]) == {s for s in said if s is not None}
        if not same:
            found.append(term)
    return found


#: keywords that let a node's statements be written outside the node's own JSON object, graph unchanged
MOVING = ("@nest", "@included", "@reverse")


def _in_context(context: Any) -> set[str]:
    """The moving keywords an inline ``@context`` (any depth: scoped contexts too) names, as a key or an alias."""
    found: set[str] = set()
    if isinstance(context, dict):
        for key, value in context.items():
            found |= {key} & set(MOVING)
            found |= _in_context(value)
    elif isinstance(context, list):
        for item in context:
            found |= _in_context(item)
    elif isinstance(context, str) and context in MOVING:
        found.add(context)
    return found


def _walk(node: Any, top_id: Any, found: set[str], depth: int) -> None:
    if isinstance(node, list):
        for item in node:
            _walk(item, top_id, found, depth)
        return
    if not isinstance(node, dict):
        return
    for key, value in node.items():
        if key == "@context":
            found |= _in_context(value)
            continue
        if key in MOVING:
            found.add(key)
        _walk(value, top_id, found, depth + 1)
    if depth and top_id is not None and node.get("id", node.get("@id")) == top_id and CHECKED.keys() & node.keys():
        found.add("id")  # a nested node with the credential's own id, carrying its status or dates


def restructured(document: dict[str, Any]) -> list[str]:
    """What in ``document`` could move the credential's own statements out of its top-level JSON object: the
    keywords ``@nest``, ``@included``, ``@reverse`` (used or aliased), ``id`` for a nested node that is the credential
    itself. Empty when the checks reading top-level names read everything the graph says of the credential."""
    found: set[str] = set()
    _walk(document, document.get("id", document.get("@id")), found, 0)
    return sorted(found)


__all__ = ["CHECKED", "MOVING", "renamed", "restructured"]
