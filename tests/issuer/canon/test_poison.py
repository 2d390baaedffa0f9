"""RDFC-1.0 in bounded time: a dataset whose blank nodes look alike is canonicalised with a budget of N-degree hash
calls (the specification's guard against poison datasets); look-alikes a real credential has still canonicalise,
to the same bytes pyoxigraph gives."""

from __future__ import annotations

import copy
from typing import Any

import pyoxigraph as ox
import pytest

from issuer.canon import get_canonicaliser
from issuer.canon.fast import FastCanonicaliser
from issuer.canon.poison import lookalike_blank_nodes
from issuer.errors import IssuerError
from issuer.jsonld import default_loader
from tests.issuer.samples import ob3_credential

ISSUER = "did:example:issuer"


def _complete_graph(n: int) -> dict[str, Any]:
    """n blank nodes each linked to every other: 2 KB, and before the budget n = 8 took 3.5 s, n = 9 45 s."""
    doc = ob3_credential(ISSUER)
    doc["@context"] = [*doc["@context"], {"k": {"@id": "https://example.org/k", "@type": "@id"},
                                          "nodes": "https://example.org/nodes"}]
    doc["credentialSubject"]["nodes"] = [{"id": f"_:n{i}", "k": [f"_:n{j}" for j in range(n) if j != i]}
                                         for i in range(n)]
    return doc


def _alike_results(width: int) -> dict[str, Any]:
    """Only OB 3.0 terms: ``width`` alike results, each holding ``width`` alike alignments (7 KB at width 8)."""
    doc = ob3_credential(ISSUER)
    alignment = {"type": ["Alignment"], "targetName": "x", "targetUrl": "https://example.org/x"}
    doc["credentialSubject"].pop("id", None)
    doc["credentialSubject"]["result"] = [{"type": ["Result"], "value": "1", "alignment": [alignment] * width}
                                          for _ in range(width)]
    return doc


@pytest.mark.parametrize("name", ["fast", "pyld"])
@pytest.mark.parametrize("poison", [_complete_graph(8), _alike_results(8)], ids=["complete-graph", "alike-results"])
def test_a_poison_dataset_is_refused_not_computed_for_minutes(name: str, poison: dict[str, Any]) -> None:
    with pytest.raises(IssuerError) as refused:
        get_canonicaliser(name, default_loader()).canonicalize(poison)
    assert (refused.value.code, refused.value.status) == ("canonicalisation_too_complex", 422)


def test_the_look_alikes_of_a_real_credential_canonicalise_as_pyoxigraph_does() -> None:
    doc = ob3_credential(ISSUER)
    alignment = {"type": ["Alignment"], "targetName": "Copyright", "targetUrl": "https://www.wikidata.org/wiki/Q1"}
    doc["credentialSubject"]["achievement"]["alignment"] = [alignment, copy.deepcopy(alignment)]  # two alike
    fast = FastCanonicaliser(default_loader())
    result = fast.canonicalize(doc)
    assert result == get_canonicaliser("pyld", default_loader()).canonicalize(doc)
    assert lookalike_blank_nodes(result)
    rdf = ox.Dataset(ox.parse(result, ox.RdfFormat.N_QUADS))
    rdf.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    assert "".join(sorted(f"{quad} .\n" for quad in rdf)) == result


def test_a_credential_without_look_alikes_never_takes_the_budgeted_path() -> None:
    doc = ob3_credential(ISSUER)
    nquads = FastCanonicaliser(default_loader()).canonicalize(doc)
    assert not lookalike_blank_nodes(nquads)
    alike = '_:x <https://example.org/p> "one" .\n_:w <https://example.org/p> "one" .\n'
    assert lookalike_blank_nodes(nquads + alike)
