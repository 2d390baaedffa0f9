"""Tool keys: generated once, kid = RFC 7638 thumbprint (what pylti1p3/jwcrypto compute), rotation keeps one."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import jwt
import pytest
from pylti1p3.registration import Registration

from lti.errors import LtiError
from lti.keys import FileKeyStore, ensure_keys, rotate


def test_first_start_generates_a_key_and_later_starts_reuse_it(tmp_path: Path) -> None:
    store = FileKeyStore(tmp_path / "keys")
    ring = ensure_keys(store)
    assert ensure_keys(FileKeyStore(tmp_path / "keys")) == ring
    pem_file = tmp_path / "keys" / f"{ring.active.kid}.pem"
    assert stat.S_IMODE(pem_file.stat().st_mode) == 0o600
    jwk = ring.jwks()["keys"][0]
    assert jwk["kid"] == ring.active.kid and jwk["alg"] == "RS256" and jwk["use"] == "sig" and "d" not in jwk
    assert Registration.get_jwk(ring.active.public_pem)["kid"] == ring.active.kid  # stable, standard kid


def test_rotation_keeps_the_previous_key_published(tmp_path: Path) -> None:
    store = FileKeyStore(tmp_path)
    first = ensure_keys(store).active
    token = jwt.encode({"sub": "x"}, first.private_pem, algorithm="RS256", headers={"kid": first.kid})
    second = rotate(store)
    assert second.active.kid != first.kid
    assert [k["kid"] for k in second.jwks()["keys"]] == [second.active.kid, first.kid]
    published = next(k for k in second.jwks()["keys"] if k["kid"] == first.kid)
    key = jwt.PyJWK(published).key
    assert jwt.decode(token, key, algorithms=["RS256"]) == {"sub": "x"}  # old tokens still verify
    third = rotate(store)
    assert [k.kid for k in third.keys] == [third.active.kid, second.active.kid]  # only one previous key
    assert FileKeyStore(tmp_path).load() == third


def test_an_unreadable_key_store_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "manifest.json").write_text(json.dumps({"keys": [{"kid": "gone", "created": "x"}]}))
    with pytest.raises(LtiError) as info:
        FileKeyStore(tmp_path).load()
    assert info.value.code == "key_store_unreadable" and str(tmp_path) in info.value.message


def test_processes_starting_together_agree_on_one_key(tmp_path: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(6) as pool:
        kids = set(pool.map(lambda _: ensure_keys(FileKeyStore(tmp_path)).active.kid, range(6)))
    assert len(kids) == 1 and len(list(tmp_path.glob("*.pem"))) == 1
