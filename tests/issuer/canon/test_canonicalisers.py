"""The fast canonicaliser is byte-identical to the pyld reference; undefined terms are refused, never dropped."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from issuer.canon import canonicaliser_names, get_canonicaliser
from issuer.canon.fast import FastCanonicaliser
from issuer.errors import UndefinedTerm, UnknownContext
from issuer.jsonld import default_loader
from issuer.keys import Ed25519Signer
from issuer.proofs.dataintegrity import sign
from tests.issuer.samples import ob3_credential
from tests.issuer.vectors import FIXTURES

ROOT = Path(__file__).resolve().parents[3]


def _fixture_documents() -> list[tuple[str, dict[str, Any]]]:
    """Every JSON-LD credential file among the test fixtures and the bundled ELM samples."""
    found = []
    for path in sorted([*FIXTURES.rglob("*.json"), *FIXTURES.rglob("*.jsonld"),
                        *(ROOT / "issuer" / "data" / "elm").glob("*.jsonld")]):
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except ValueError:
            continue
        if isinstance(doc, dict) and "@context" in doc:
            found.append((str(path.relative_to(ROOT)), doc))
    return found


DOCUMENTS = _fixture_documents()


def test_there_are_documents_to_compare() -> None:
    assert len(DOCUMENTS) >= 8
    assert {"pyld", "fast"} <= set(canonicaliser_names())


@pytest.mark.parametrize(("name", "doc"), DOCUMENTS, ids=[n for n, _ in DOCUMENTS])
def test_fast_equals_reference_on_fixtures(name: str, doc: dict[str, Any]) -> None:
    fast = FastCanonicaliser(default_loader(), crosscheck=False)
    reference = get_canonicaliser("pyld").canonicalize(doc)
    assert fast.canonicalize(doc) == reference
    assert fast.canonicalize(copy.deepcopy(doc)) == reference  # the cached path gives the same answer


TRICKY = {
    "newline, tab, quote, backslash": "a\nb\tc \"d\" e\\f\r",
    "unicode": "Łódź — 東京 — 🎓",
    "odd control characters": "bell\x07 backspace\x08 formfeed\x0c delete\x7f",
}


@pytest.mark.parametrize("text", TRICKY.values(), ids=TRICKY.keys())
def test_fast_equals_reference_on_tricky_literals(text: str) -> None:
    doc = ob3_credential("did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2", name=text)
    doc["credentialSubject"]["achievement"]["description"] = text
    fast = FastCanonicaliser(default_loader(), crosscheck=False)
    assert fast.canonicalize(doc) == get_canonicaliser("pyld").canonicalize(doc)


def test_fast_equals_reference_on_varied_values() -> None:
    doc = {
        "@context": ["https://www.w3.org/ns/credentials/v2", {"ex": "https://ex.org/#",
                     "n": {"@id": "ex:n"}, "l": {"@id": "ex:l", "@container": "@list"},
                     "j": {"@id": "ex:j", "@type": "@json"}, "t": {"@id": "ex:t", "@language": "fr"}}],
        "type": ["VerifiableCredential"],
        "issuer": "did:example:1",
        "credentialSubject": [{"n": [1, 2.5, True, 1e21, -0.0], "l": ["b", "a", {"n": 3}],
                               "j": {"z": 1, "a": [True, None]}, "t": "bonjour"}, {"n": "x"}],
    }
    fast = FastCanonicaliser(default_loader(), crosscheck=False)
    assert fast.canonicalize(doc) == get_canonicaliser("pyld").canonicalize(doc)


@pytest.mark.parametrize("canon_name", ["pyld", "fast"])
def test_undefined_property_is_refused(canon_name: str) -> None:
    doc = {"@context": ["https://www.w3.org/2018/credentials/v1"], "type": ["VerifiableCredential"],
           "issuer": "did:example:1", "issuanceDate": "2024-01-01T00:00:00Z",
           "credentialSubject": {"id": "did:example:2", "favouriteColour": "green"}}
    with pytest.raises(UndefinedTerm) as info:
        get_canonicaliser(canon_name).canonicalize(doc)
    assert info.value.status == 422
    assert "favouriteColour" in info.value.message


@pytest.mark.parametrize("canon_name", ["pyld", "fast"])
def test_undefined_type_is_refused(canon_name: str) -> None:
    doc = {"@context": ["https://www.w3.org/2018/credentials/v1"], "type": ["VerifiableCredential", "Diploma"],
           "issuer": "did:example:1", "issuanceDate": "2024-01-01T00:00:00Z",
           "credentialSubject": {"id": "did:example:2"}}
    with pytest.raises(UndefinedTerm, match="Diploma"):
        get_canonicaliser(canon_name).canonicalize(doc)


def test_signing_refuses_a_term_caught_only_by_the_issuer_dependent_vocabulary() -> None:
    doc = ob3_credential("did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2")
    doc["credentialSubject"]["achievement"]["critera"] = {"narrative": "misspelt"}
    signer = Ed25519Signer.generate()
    with pytest.raises(UndefinedTerm, match="critera"):
        sign(doc, signer, f"did:key:{signer.public_key_multibase}#{signer.public_key_multibase}",
             created="2025-01-01T00:00:00Z")


def test_unknown_context_is_refused_without_network() -> None:
    doc = {"@context": ["https://example.org/my-context.jsonld"], "name": "x"}
    with pytest.raises(UnknownContext, match="not bundled"):
        get_canonicaliser("fast").canonicalize(doc)


def test_fast_canonicaliser_is_safe_across_threads() -> None:
    from concurrent.futures import ThreadPoolExecutor

    fast = FastCanonicaliser(default_loader(), crosscheck=False)
    docs = [ob3_credential(f"did:example:{i}", name=f"Learner {i}") for i in range(24)]
    expected = [get_canonicaliser("pyld").canonicalize(d) for d in docs]
    with ThreadPoolExecutor(max_workers=4) as pool:
        got = list(pool.map(fast.canonicalize, docs))
    assert got == expected
    assert 1 <= fast.states_made <= 4  # one cache state per canonicalisation running at once, never shared


def test_a_new_thread_finds_the_contexts_an_ended_thread_built() -> None:
    """A server's threadpool retires idle threads: the next burst's new threads reuse the warm states."""
    import threading

    fast = FastCanonicaliser(default_loader(), crosscheck=False)
    docs = [ob3_credential(f"did:example:{i}", name=f"Learner {i}") for i in range(6)]
    expected = [get_canonicaliser("pyld").canonicalize(d) for d in docs]
    got: list[str] = []
    for doc in docs:
        thread = threading.Thread(target=lambda d=doc: got.append(fast.canonicalize(d)))
        thread.start()
        thread.join()
    assert got == expected
    assert fast.states_made == 1


def test_inline_contexts_do_not_grow_the_caches_without_bound() -> None:
    fast = FastCanonicaliser(default_loader(), crosscheck=False)
    for i in range(50):
        doc = {"@context": [{"@vocab": f"https://ex.org/{i}#"}], "@id": "urn:x:1", "n": i}
        assert f"<https://ex.org/{i}#n>" in fast.canonicalize(doc)


def test_one_shared_instance_in_shuffled_orders_matches_the_reference() -> None:
    """Cached contexts must not leak from one document into the next, whatever the order."""
    import random

    docs = [doc for _, doc in DOCUMENTS]
    docs.append(ob3_credential("did:example:issuer"))
    signer = Ed25519Signer.generate()
    docs.append(sign(ob3_credential("did:example:issuer"), signer, "did:example:issuer#k",
                     created="2025-01-01T00:00:00Z"))
    expected = [get_canonicaliser("pyld").canonicalize(d) for d in docs]
    fast = FastCanonicaliser(default_loader(), crosscheck=False)
    order = list(range(len(docs)))
    rng = random.Random(7)
    for _ in range(3):
        rng.shuffle(order)
        for i in order:
            assert fast.canonicalize(docs[i]) == expected[i], DOCUMENTS[i][0] if i < len(DOCUMENTS) else i


def test_did_documents_canonicalise_identically(tmp_path: Path) -> None:
    from issuer.did import did_web_document, resolve_did_key
    from issuer.keys import FileKeyStore

    store = FileKeyStore(tmp_path)
    store.rotate()
    for doc in (did_web_document("did:web:leads.example.org", store.keys()),
                resolve_did_key(f"did:key:{store.active().public_key_multibase}")):
        assert FastCanonicaliser(default_loader(), crosscheck=False).canonicalize(doc) == \
            get_canonicaliser("pyld").canonicalize(doc)


_EX = {"ex": "https://ex.org/#", "p": "ex:p", "q": {"@id": "ex:q", "@type": "@id"}}
EDGE_CASES: dict[str, dict[str, Any]] = {
    "value objects": {"p": [{"@value": "x", "@language": "en"}, {"@value": "5", "@type": "ex:T"}]},
    "default language, mixed-case tag": {"@context": {"@language": "en-GB"}, "p": "colour"},
    "language map with @none": {"@context": {"m": {"@id": "ex:m", "@container": "@language"}},
                                "m": {"EN": "a", "fr": ["b", None], "@none": "c"}},
    "coerced numbers and booleans": {"@context": {"d": {"@id": "ex:d", "@type": "xsd:double"},
                                                  "xsd": "http://www.w3.org/2001/XMLSchema#",
                                                  "c": {"@id": "ex:c", "@type": "ex:Custom"}},
                                     "d": [1, "2.50"], "c": [7, True, "z"]},
    "native doubles, plain and coerced": {"@context": {"d": {"@id": "ex:d", "@type": "xsd:double"},
                                                       "xsd": "http://www.w3.org/2001/XMLSchema#",
                                                       "f": {"@id": "ex:f", "@type": "xsd:float"}},
                                          "p": [1.0, 2.5, -0.0, 1e21, 1.5e-7, 123456.789, 0.1, -3.0e300],
                                          "d": [1.0, 2.5, 4e22], "f": [6.0, 7.25]},
    "blank node ids and merged nodes": {"@id": "_:a", "q": ["_:a", "https://ex.org/n"],
                                        "ex:r": [{"@id": "https://ex.org/n", "p": 1},
                                                 {"@id": "https://ex.org/n", "p": 2}]},
    "empty nested node and nulls": {"ex:r": {}, "p": None, "ex:s": [None, "x"]},
    "reverse, nest, included": {"@context": {"rev": {"@reverse": "ex:rev"}, "n": "@nest"},
                                "rev": {"@id": "https://ex.org/o"}, "n": {"p": "nested"},
                                "@included": [{"@id": "https://ex.org/i", "p": "inc"}]},
    "index, id and type maps": {"@context": {"im": {"@id": "ex:im", "@container": "@index"},
                                             "idm": {"@id": "ex:idm", "@container": "@id"},
                                             "tm": {"@id": "ex:tm", "@container": "@type"}},
                                "im": {"k": "v"}, "idm": {"https://ex.org/x": {"p": 1}}, "tm": {"ex:T": {"p": 2}}},
    "graph container and @graph": {"@context": {"g": {"@id": "ex:g", "@container": "@graph"}},
                                   "g": {"p": "in graph"}, "@id": "https://ex.org/top"},
    "property-scoped context": {"@context": {"ps": {"@id": "ex:ps", "@context": {"inner": "ex:inner"}}},
                                "ps": {"inner": "x", "ex:deeper": {"inner": "y"}}},
    "relative @id": {"@id": "relative", "p": "x"},
    "undefined term": {"nope": "x", "p": "y"},
}


@pytest.mark.parametrize("body", EDGE_CASES.values(), ids=EDGE_CASES.keys())
def test_edge_cases_match_the_reference_or_fail_alike(body: dict[str, Any]) -> None:
    local = {**_EX, **body.get("@context", {})}
    doc = {**body, "@context": [local]}
    try:
        expected: str | type[Exception] = get_canonicaliser("pyld").canonicalize(doc)
    except Exception as exc:  # the reference refuses: the fast path must refuse the same way
        expected = type(exc)
    fast = FastCanonicaliser(default_loader(), crosscheck=False)
    if isinstance(expected, str):
        assert fast.canonicalize(doc) == expected
    else:
        with pytest.raises(expected):
            fast.canonicalize(doc)


def test_the_one_pass_path_is_what_credentials_take() -> None:
    fast = FastCanonicaliser(default_loader(), crosscheck=False)
    for name, doc in DOCUMENTS:
        if "proof" not in doc:  # signed documents (proof is a @graph container) take the full pyld path
            before = fast.direct
            fast.canonicalize(doc)
            assert fast.direct == before + 1, name
    fast.canonicalize(ob3_credential("did:example:issuer"))
    assert fast.direct >= 8


def test_native_doubles_take_the_one_pass_path_and_match_the_reference() -> None:
    fast = FastCanonicaliser(default_loader(), crosscheck=False)
    doc = {"@context": [{**_EX, "d": {"@id": "ex:d", "@type": "xsd:double"},
                         "xsd": "http://www.w3.org/2001/XMLSchema#"}],
           "@id": "https://ex.org/s", "p": [1.0, 2.5, 1e21, -0.0, 5e-324], "d": [3.0, 0.5]}
    assert fast.canonicalize(doc) == get_canonicaliser("pyld").canonicalize(doc)
    assert fast.direct == 1  # ECTS credits (5.0) no longer send every credential through full pyld expansion
