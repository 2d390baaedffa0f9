"""RDFC-1.0 in bounded time: the specification's guard against poison datasets (§4.4.3, "a limit on the number of
N-degree hash calls"), which the pyoxigraph canonicaliser does not offer.

Blank nodes (objects without an ``id``) that look alike to their first degree are told apart by N-degree hashing,
which tries every order of the alike nodes around each of them: a 7 KB credential of eight alike results holding
eight alike alignments, or a complete graph of nine blank nodes, kept a core busy for minutes before its signature
could even be checked (found by an audit; verification is public). A dataset without such nodes never reaches
N-degree hashing: it goes to pyoxigraph as before. One with them is canonicalised by pyld's RDFC-1.0 with a budget
of N-degree calls, as Digital Bazaar's rdf-canonize bounds them (``maxWorkFactor``): legitimate look-alikes (two
identical alignments) need a handful of calls; a poison dataset runs out and is refused with a clear 422.
"""

from __future__ import annotations

import re
from functools import partial
from typing import Any

from pyld.canon import URDNA2015

from issuer.errors import IssuerError

CALLS_PER_BLANK_NODE = 16  # N-degree hash calls allowed per blank node of the dataset
CALLS_MIN = 256


def too_complex() -> IssuerError:
    return IssuerError("the document's objects without an id are too many and too much alike to be put in "
                       "canonical form in bounded time (RDFC-1.0); give them ids or make them differ",
                       code="canonicalisation_too_complex", status=422)


_LABEL = re.compile(r"_:[A-Za-z0-9_.-]*[A-Za-z0-9_-]")  # a blank node label in N-Quads


def _mark(me: str, match: re.Match[str]) -> str:
    return "_:a" if match.group(0) == me else "_:z"


def lookalike_blank_nodes(nquads: str) -> bool:
    """Whether two blank nodes of these N-Quads share their first-degree hash (RDFC-1.0 §4.6: the quads that mention
    the node, itself as ``_:a`` and any other as ``_:z``), the only case N-degree hashing runs. About 30 µs for an
    OB 3.0 credential: a tenth of canonicalising it. A label inside a literal only makes a node look less unique."""
    lines_of: dict[str, list[str]] = {}
    for line in nquads.splitlines():
        if "_:" in line:
            for label in set(_LABEL.findall(line)):
                lines_of.setdefault(label, []).append(line)
    if len(lines_of) < 2:
        return False
    seen: set[str] = set()
    for label, lines in lines_of.items():
        first_degree = "\n".join(sorted(_LABEL.sub(partial(_mark, label), line) for line in lines))
        if first_degree in seen:
            return True
        seen.add(first_degree)
    return False


class BudgetedURDNA2015(URDNA2015):  # type: ignore[misc]
    """pyld's RDFC-1.0 that stops, refused, past ``budget`` N-degree hash calls."""

    def __init__(self, budget: int | None = None) -> None:
        super().__init__()
        self.budget = budget

    def main(self, dataset: Any, options: Any) -> Any:
        if self.budget is None:
            nodes = {t["value"] for graph in dataset.values() for q in graph
                     for t in (q["subject"], q["object"]) if t["type"] == "blank node"}
            self.budget = max(CALLS_MIN, CALLS_PER_BLANK_NODE * len(nodes))
        return super().main(dataset, options)

    def hash_n_degree_quads(self, id_: Any, issuer: Any) -> Any:
        assert self.budget is not None
        self.budget -= 1
        if self.budget < 0:
            raise too_complex()
        return super().hash_n_degree_quads(id_, issuer)


def rdfc(dataset: Any) -> str:
    """RDFC-1.0 N-Quads of a pyld dataset, within the budget."""
    result: str = BudgetedURDNA2015().main(dataset, {"algorithm": "URDNA2015", "format": "application/n-quads"})
    return result


__all__ = ["BudgetedURDNA2015", "lookalike_blank_nodes", "rdfc", "too_complex"]
