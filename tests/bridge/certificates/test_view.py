"""The display view read from any issuer's credential: OB 3.0, the official ELM samples, a VC-JOSE JWT."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from bridge.certificates.view import certificate_view, load_credential
from bridge.errors import LeadsError

ROOT = Path(__file__).resolve().parents[3]


def _load(path: str) -> dict[str, object]:
    value: dict[str, object] = json.loads((ROOT / path).read_text())
    return value


def test_official_elm_annex_sample() -> None:
    view = certificate_view(_load("issuer/data/elm/Sample-MC-Annex1-unsigned.jsonld"))
    assert view.format == "edc"
    assert view.learner == "Ana Andromeda"
    assert view.title == "Digital micro-credential creation"
    assert view.outcomes == ("Communication, collaboration and creativity", "Developing digital content")
    assert view.eqf_level == 6
    assert view.issuer_name == "University of Zed" and view.issuer_url == "https://uniz.edu"


def test_other_issuers_ob3_badge() -> None:
    view = certificate_view(_load("tests/issuer/qr/fixtures/ob3-signed.json"))
    assert view.format == "ob3"
    assert view.title == "Teamwork" and view.issuer_name == "Example Corp"
    assert view.learner == "did:example:ebfeb1f712ebc6f1c276e12ec21"  # no name given: the subject id
    assert view.design_key is None


def test_leads_design_key_from_the_achievement_id() -> None:
    doc = _load("tests/issuer/qr/fixtures/ob3-signed.json")
    doc["credentialSubject"]["achievement"]["id"] = "https://leads.example.org/entity/glam-mc-rights"  # type: ignore[index]
    assert certificate_view(doc).design_key == "glam-mc-rights"


def test_jwt_payload_is_shown() -> None:
    payload = _load("tests/issuer/qr/fixtures/ob3-signed.json")
    part = base64.urlsafe_b64encode(json.dumps(payload).encode()).rstrip(b"=").decode()
    token = f"eyJhbGciOiJFZERTQSJ9.{part}.c2ln"
    assert load_credential(token.encode()) == token
    assert certificate_view(token).title == "Teamwork"


@pytest.mark.parametrize(("raw", "message"), [(b"[1, 2]", "is a list"), (b"{oops", "This is not JSON")])
def test_bad_json_is_refused_clearly(raw: bytes, message: str) -> None:
    with pytest.raises(LeadsError, match=message):
        load_credential(raw)
