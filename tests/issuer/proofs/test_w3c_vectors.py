"""eddsa-rdfc-2022 reproduces the W3C vc-di-eddsa vectors (and the OB 3.0 one) byte for byte, with both
canonicalisers: canonical document, proof canonical form, hashes, signature, proofValue and the signed credential."""

from __future__ import annotations

import hashlib
import json

import pytest

from issuer.canon import get_canonicaliser
from issuer.keys import Ed25519Signer, b58encode
from issuer.proofs.dataintegrity import sign, verify
from tests.issuer.vectors import OB3, Vector, w3c_key_pair, w3c_vectors

CANONICALISERS = ["pyld", "fast"]
VECTORS = w3c_vectors()


@pytest.mark.parametrize("canon_name", CANONICALISERS)
@pytest.mark.parametrize("vector", VECTORS, ids=[v.name for v in VECTORS])
def test_intermediate_values_byte_for_byte(vector: Vector, canon_name: str) -> None:
    canon = get_canonicaliser(canon_name)
    config = vector.json("proofConfigDataInt.json")
    doc_canon = canon.canonicalize(vector.unsigned)
    proof_canon = canon.canonicalize(config)
    assert doc_canon == vector.text("canonDocDataInt.txt")
    assert proof_canon == vector.text("proofCanonDataInt.txt")
    doc_hash = hashlib.sha256(doc_canon.encode()).hexdigest()
    proof_hash = hashlib.sha256(proof_canon.encode()).hexdigest()
    assert doc_hash == vector.text("docHashDataInt.txt")
    assert proof_hash == vector.text("proofHashDataInt.txt")
    assert proof_hash + doc_hash == vector.text("combinedHashDataInt.txt")
    signer = Ed25519Signer.from_multibase(w3c_key_pair()["privateKeyMultibase"])
    signature = signer.sign(bytes.fromhex(proof_hash + doc_hash))
    assert signature.hex() == vector.text("sigHexDataInt.txt")
    assert "z" + b58encode(signature) == vector.text("sigBTC58DataInt.txt")


@pytest.mark.parametrize("canon_name", CANONICALISERS)
@pytest.mark.parametrize("vector", VECTORS, ids=[v.name for v in VECTORS])
def test_signed_credential_is_the_vector(vector: Vector, canon_name: str) -> None:
    expected = vector.json("signedDataInt.json")
    keys = w3c_key_pair()
    signed = sign(
        vector.unsigned,
        Ed25519Signer.from_multibase(keys["privateKeyMultibase"]),
        expected["proof"]["verificationMethod"],
        created=expected["proof"]["created"],
        canonicaliser=get_canonicaliser(canon_name),
    )
    assert json.dumps(signed, sort_keys=True) == json.dumps(expected, sort_keys=True)
    assert list(signed["proof"]) == list(expected["proof"])
    assert verify(expected, keys["publicKeyMultibase"], canonicaliser=get_canonicaliser(canon_name)).ok


@pytest.mark.parametrize("canon_name", CANONICALISERS)
def test_open_badges_vector(canon_name: str) -> None:
    values = json.loads((OB3 / "values.json").read_text())
    credential = json.loads((OB3 / "credential.json").read_text())
    expected = json.loads((OB3 / "signed-credential.json").read_text())
    canon = get_canonicaliser(canon_name)
    assert canon.canonicalize(credential) == (OB3 / "document-canon.txt").read_text()
    signer = Ed25519Signer.from_multibase(values["secretKeyMultibase"])
    assert signer.public_key_multibase == values["publicKeyMultibase"]
    signed = sign(credential, signer, values["verificationMethod"], created=expected["proof"]["created"],
                  canonicaliser=canon)
    assert signed["proof"]["proofValue"] == values["proofValue"]
    assert signed == expected
    assert verify(expected, values["publicKeyMultibase"], canonicaliser=canon).ok


@pytest.mark.parametrize("vector", VECTORS, ids=[v.name for v in VECTORS])
def test_vector_with_one_changed_character_fails(vector: Vector) -> None:
    signed = vector.json("signedDataInt.json")
    signed["validFrom"] = signed["validFrom"].replace("0", "1", 1)
    result = verify(signed, w3c_key_pair()["publicKeyMultibase"])
    assert not result.ok
    assert "changed after signing" in result.message
