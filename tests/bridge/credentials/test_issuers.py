"""Issuing organisations: did:web per organisation from the base URL, key rings, and a clear error on bad config."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bridge.errors import LeadsError, NotFound
from bridge.settings import Settings
from bridge.trust.organisations import IssuerDirectory


def test_default_is_the_installation_itself_on_the_default_base_url(tmp_path: Path) -> None:
    directory = IssuerDirectory(Settings(data_dir=tmp_path))
    assert list(directory.orgs) == ["leads"]
    assert directory.did(directory.root) == "did:web:127.0.0.1%3A8000"
    signer, method = directory.signer(directory.root)
    assert method == f"did:web:127.0.0.1%3A8000#{signer.key_id}"
    assert (tmp_path / "keys" / "leads").is_dir()


def test_organisations_from_the_config_file_get_path_dids_and_own_keys(tmp_path: Path) -> None:
    (tmp_path / "issuers.json").write_text(json.dumps([
        {"slug": "leads", "names": {"en": "LEADS"}, "legal_identifier": "X"},
        {"slug": "wmde", "names": {"en": "Wikimedia Deutschland"}, "legal_identifier": "DE0", "country": "DEU"},
    ]))
    directory = IssuerDirectory(Settings(data_dir=tmp_path, base_url="https://leads.example.org"))
    wmde = directory.get("wmde")
    assert directory.root.slug == "leads"  # the first one is the installation when none says root
    assert directory.did(wmde) == "did:web:leads.example.org:issuers:wmde"
    assert directory.by_did("did:web:leads.example.org:issuers:wmde#key") == wmde
    assert directory.signer(wmde)[0].key_id != directory.signer(directory.root)[0].key_id
    assert directory.profile(wmde).country == "DEU"
    with pytest.raises(NotFound, match="known: leads, wmde"):
        directory.get("nobody")


def test_a_broken_config_file_says_what_is_expected(tmp_path: Path) -> None:
    (tmp_path / "issuers.json").write_text('[{"slug": "x"}]')
    with pytest.raises(LeadsError) as err:
        IssuerDirectory(Settings(data_dir=tmp_path))
    assert err.value.code == "issuers_config" and "legal_identifier" in err.value.message
