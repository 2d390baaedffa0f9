"""/verify without JavaScript: paste JSON, upload JSON or a certificate PDF, paste an offline-QR text."""

from __future__ import annotations

import io
import json
from pathlib import Path

from fpdf import FPDF

from issuer.qr import encode_offline
from tests.bridge.certificates.conftest import Issued, Leads


def _verdict(html: str) -> str:
    start = html.index('class="verdict')
    return html[start : html.index("</div>", start)]


def test_form_works_without_javascript(leads: Leads) -> None:
    html = leads.client.get("/verify").text
    assert 'method="post" action="/verify?lang=en" enctype="multipart/form-data"' in html
    assert '<textarea id="credential" name="credential"' in html and 'name="file"' in html
    assert '<section id="scan" aria-labelledby="scan-heading" hidden>' in html  # camera only appears with JS
    assert '<script src="/static/vendor/jsqr/jsQR.js"></script>' in html
    assert leads.client.get("/static/vendor/jsqr/jsQR.js").status_code == 200


def test_pasted_credential_verifies(leads: Leads, ob3: Issued) -> None:
    r = leads.client.post("/verify", data={"credential": ob3.json_bytes.decode()})
    assert r.status_code == 200
    assert 'data-verified="true"' in r.text and "Ada Lovelace" in r.text and "Pasted text" in r.text
    for check in ("proof", "proof_purpose", "issuer", "validity", "status", "shape"):
        assert f'<li class="passed" data-check="{check}">' in r.text


def test_tampered_credential_fails_the_signature_in_plain_words(leads: Leads, ob3: Issued) -> None:
    doc = json.loads(ob3.json_bytes)
    doc["credentialSubject"]["identifier"][0]["identityHash"] = "Mallory"
    r = leads.client.post("/verify", files={"file": ("c.json", json.dumps(doc).encode(), "application/json")})
    assert 'data-verified="false"' in r.text
    assert "altered" in _verdict(r.text)
    assert '<li class="failed" data-check="proof">' in r.text
    assert "The credential was changed after it was signed" in r.text
    # after a failed signature no other check shows a green "Passed": each says it was not run
    for check in ("proof_purpose", "issuer", "validity", "status", "shape"):
        assert f'<li class="not_run" data-check="{check}">' in r.text
    assert '<li class="passed"' not in r.text and r.text.count("Not run: the signature check failed") == 5
    assert r.text.index('id="verdict"') < r.text.index('id="what-heading"')  # the verdict comes first


def test_revoked_credential_is_reported_as_revoked(leads: Leads) -> None:
    issued = leads.issue(name="Revoked Too")
    leads.revoke(issued)
    r = leads.client.post("/verify?lang=es", data={"credential": issued.json_bytes.decode()})
    assert 'data-verified="false"' in r.text
    assert "el emisor ha revocado esta credencial" in _verdict(r.text)
    assert '<li class="failed" data-check="status">' in r.text
    assert '<li class="passed" data-check="proof">' in r.text


def test_uploaded_pdf_is_verified_from_its_attachment(leads: Leads, ob3: Issued) -> None:
    pdf = leads.client.get(f"/credentials/{ob3.id}/certificate.pdf").content
    r = leads.client.post("/verify", files={"file": ("certificate.pdf", pdf, "application/pdf")})
    assert 'data-verified="true"' in r.text and "The credential attached to the uploaded PDF" in r.text


def test_offline_qr_text_verifies(leads: Leads, ob3: Issued) -> None:
    text = encode_offline(json.loads(ob3.json_bytes))
    r = leads.client.post("/verify", data={"credential": text})
    assert 'data-verified="true"' in r.text and "The offline QR code (the credential itself)" in r.text


def test_jwt_credential_verifies(leads: Leads) -> None:
    jwt = leads.issue(fmt="jwt", name="Alan Turing")
    r = leads.client.post("/verify", data={"credential": jwt.json_bytes.decode()})
    assert 'data-verified="true"' in r.text and "Alan Turing" in r.text


def test_bad_inputs_say_what_is_wrong(leads: Leads) -> None:
    cases = [
        ({"credential": "{not json"}, None, "This is not JSON"),
        ({"credential": "VC1:AAAA"}, None, "The offline QR code text cannot be read"),
        ({}, ("x.bin", b"\xff\xfe\x00binary", "application/octet-stream"), "neither a PDF nor a text"),
        ({}, ("plain.pdf", _pdf_without_attachment(), "application/pdf"), "This PDF has no credential attached"),
        ({}, ("broken.pdf", b"%PDF-1.7 garbage", "application/pdf"), "This PDF cannot be read"),
    ]
    for data, upload, message in cases:
        files = {"file": upload} if upload else None
        r = leads.client.post("/verify", data=data, files=files)
        assert r.status_code == 422, (message, r.text[:300])
        assert message in r.text, message
        assert 'data-verified="false"' in r.text


def _pdf_without_attachment() -> bytes:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(text="no credential here")
    buf = io.BytesIO()
    pdf.output(buf)
    return buf.getvalue()


def test_another_issuers_did_key_badge_is_genuine_but_unknown_until_trusted(leads: Leads) -> None:
    from issuer.did import did_key, did_key_verification_method
    from issuer.keys import Ed25519Signer
    from issuer.proofs.dataintegrity import sign

    signer = Ed25519Signer.generate()
    badge = json.loads((Path(__file__).parents[2] / "issuer" / "qr" / "fixtures" / "ob3-signed.json").read_text())
    badge.pop("proof")
    badge["issuer"] = {"id": did_key(signer.public_key_multibase), "type": ["Profile"], "name": "Other Academy"}
    signed = sign(badge, signer, did_key_verification_method(signer.public_key_multibase),
                  created="2025-03-01T10:00:00Z")
    did = did_key(signer.public_key_multibase)
    r = leads.client.post("/verify", data={"credential": json.dumps(signed)})
    verdict = _verdict(r.text)
    assert 'data-verified="false"' in verdict and 'data-verdict="untrusted"' in verdict
    assert f"the signature is intact but LEADS does not know this issuer ({did})" in verdict
    assert "Other Academy" in r.text and "Teamwork" in r.text
    assert '<li class="passed" data-check="proof">' in r.text
    assert '<li class="skipped" data-check="status">' in r.text  # no credentialStatus: nothing to revoke

    admin = {"Authorization": "Bearer change-me-dev-only"}
    added = leads.client.post("/api/issuers/trusted", json={"did": did, "name": "Other Academy"}, headers=admin)
    assert added.status_code == 201, added.text
    try:
        r = leads.client.post("/verify", data={"credential": json.dumps(signed)})
        assert 'data-verified="true"' in r.text, _verdict(r.text)
        assert "Issued by Other Academy, trusted by the administrators of this LEADS installation." in r.text
        r = leads.client.post("/verify", data={"credential": encode_offline(signed)})  # fully offline, via VC1
        assert 'data-verified="true"' in r.text
    finally:
        leads.client.delete(f"/api/issuers/trusted/{did}", headers=admin)


def test_oversized_upload_is_refused(leads: Leads) -> None:
    big = b"{" + b" " * (10 * 1024 * 1024) + b"}"
    r = leads.client.post("/verify?lang=en", files={"file": ("big.json", big, "application/json")})
    assert r.status_code == 413 and "larger than 10 MB" in r.text  # refused before any route reads it


def test_suspended_is_suspended_on_verify_and_recovers(leads: Leads) -> None:
    issued = leads.issue(name="Paused Person")
    admin = {"Authorization": "Bearer change-me-dev-only"}
    assert leads.client.post(f"/api/credentials/{issued.id}/suspend", json={"reason": "appeal"},
                             headers=admin).status_code == 200
    r = leads.client.post("/verify", data={"credential": issued.json_bytes.decode()})
    verdict = _verdict(r.text)
    assert 'data-verdict="suspended"' in verdict and "Suspended:" in verdict and "revoked" not in verdict
    assert "the issuer may lift the suspension" in r.text
    leads.client.post(f"/api/credentials/{issued.id}/unsuspend", json={"reason": "upheld"}, headers=admin)
    r = leads.client.post("/verify", data={"credential": issued.json_bytes.decode()})
    assert 'data-verdict="verified"' in _verdict(r.text)


def test_an_empty_submission_says_there_is_nothing_to_verify(leads: Leads) -> None:
    for lang, title in (("en", "Nothing to verify yet"), ("es", "Todavía no hay nada que verificar")):
        r = leads.client.post(f"/verify?lang={lang}", data={"credential": "  "})
        assert r.status_code == 422
        assert f"<title>{title} · " in r.text and 'id="problem"' in r.text
        assert "altered" not in r.text and "alterada" not in r.text and 'class="verdict' not in r.text


def test_a_photo_upload_points_to_the_qr_scanner(leads: Leads) -> None:
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    r = leads.client.post("/verify", files={"file": ("photo.png", png, "image/png")})
    assert r.status_code == 422
    assert "<title>This is a picture, not a credential · " in r.text
    assert "“Scan the QR code” on this page" in r.text and "altered" not in r.text


def test_the_title_carries_the_result(leads: Leads, ob3: Issued) -> None:
    r = leads.client.post("/verify", data={"credential": ob3.json_bytes.decode()})
    title = r.text.split("<title>", 1)[1].split("</title>", 1)[0]
    assert title.startswith("Verified") and title.endswith("Verify a credential · LEADS"), title
