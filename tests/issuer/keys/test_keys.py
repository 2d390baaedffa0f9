"""File key store: generated at first use, mode 0600, optional passphrase encryption, rotation keeps old keys."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from issuer.errors import KeyError_, UnsupportedFeature
from issuer.keys import (
    Ed25519Signer,
    FileKeyStore,
    Signer,
    b58decode,
    b58encode,
    decode_public_key,
    encode_public_key,
    make_signer,
    verify_ed25519,
)
from tests.issuer.vectors import w3c_key_pair


def test_base58_round_trip_and_leading_zeros() -> None:
    for data in (b"", b"\0", b"\0\0\x01", bytes(range(256))):
        assert b58decode(b58encode(data)) == data
    assert b58encode(b"\0\0\x01") == "112"


def test_multikey_matches_the_w3c_key_pair() -> None:
    pair = w3c_key_pair()
    signer = Ed25519Signer.from_multibase(pair["privateKeyMultibase"])
    assert signer.public_key_multibase == pair["publicKeyMultibase"]
    assert encode_public_key(decode_public_key(pair["publicKeyMultibase"])) == pair["publicKeyMultibase"]
    with pytest.raises(KeyError_, match="not an Ed25519 Multikey"):
        decode_public_key(pair["privateKeyMultibase"])


def test_key_generated_at_first_use_with_mode_0600(tmp_path: Path) -> None:
    store = FileKeyStore(tmp_path / "keys")
    assert not (tmp_path / "keys").exists()
    signer = store.active()
    assert isinstance(signer, Signer)
    files = sorted((tmp_path / "keys").glob("*.pem"))
    assert [f.name for f in files] == [f"{signer.key_id}.pem"]
    assert stat.S_IMODE(files[0].stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "keys" / "keys.json").stat().st_mode) == 0o600
    assert b"ENCRYPTED" not in files[0].read_bytes()
    # a second store over the same directory (a restart) uses the same key
    again = FileKeyStore(tmp_path / "keys").active()
    assert again.key_id == signer.key_id
    assert verify_ed25519(signer.public_key_multibase, again.sign(b"x"), b"x")


def test_passphrase_encrypts_the_key_file(tmp_path: Path) -> None:
    store = FileKeyStore(tmp_path, passphrase="correct horse battery staple")
    signer = store.active()
    pem = (tmp_path / f"{signer.key_id}.pem").read_bytes()
    assert b"BEGIN ENCRYPTED PRIVATE KEY" in pem
    assert FileKeyStore(tmp_path, passphrase="correct horse battery staple").active().key_id == signer.key_id
    with pytest.raises(KeyError_, match="passphrase"):
        FileKeyStore(tmp_path, passphrase="wrong").active()
    with pytest.raises(KeyError_, match="passphrase"):
        FileKeyStore(tmp_path).active()


def test_rotation_makes_a_new_active_key_and_keeps_the_old(tmp_path: Path) -> None:
    store = FileKeyStore(tmp_path)
    first = store.active()
    second = store.rotate()
    assert second.key_id != first.key_id
    assert FileKeyStore(tmp_path).active().key_id == second.key_id
    records = FileKeyStore(tmp_path).keys()
    assert [r.key_id for r in records] == [first.key_id, second.key_id]
    assert [r.active for r in records] == [False, True]
    assert store.signer(first.key_id).public_key_multibase == first.public_key_multibase
    index = json.loads((tmp_path / "keys.json").read_text())
    assert index["active"] == second.key_id


def test_signer_registry(tmp_path: Path) -> None:
    pair = w3c_key_pair()
    signer = make_signer("ed25519-multikey", secret_key_multibase=pair["privateKeyMultibase"])
    assert signer.public_key_multibase == pair["publicKeyMultibase"]
    file_signer = make_signer("file", directory=tmp_path)
    assert file_signer.key_id == FileKeyStore(tmp_path).active().key_id
    with pytest.raises(UnsupportedFeature, match=r"available: .*pkcs11"):  # PKCS#11 is built in (decision 025)
        make_signer("cloud-kms")
