"""The PDF reads like an official certificate: the issuer's logo and signatory from the design folder, the expiry
when there is one, a footer in words (no DIDs), the verification-URL code big and on top, the offline code smaller,
lower and labelled."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import zxingcpp

from bridge.certificates.pdf import load_layout, render_certificate_pdf
from bridge.certificates.view import certificate_view, load_credential
from tests.bridge.certificates.conftest import Issued, Leads
from tests.bridge.certificates.rendering import pdf_image, pdf_text


def test_signatory_footer_and_the_order_of_the_codes(leads: Leads, ob3: Issued) -> None:
    pdf = leads.client.get(f"/credentials/{ob3.id}/certificate.pdf", params={"lang": "es"}).content
    text = " ".join(pdf_text(pdf).split())
    assert "(nivel 2 · Aplica)" in text
    assert "Programme Lead" in text and "Responsable del programa de aprendizaje" in text
    assert "Emitido por LEADS" in text and "did:" not in text  # no raw DID jargon on paper
    assert "Copia sin conexión para aplicaciones de verificación" in text
    only_qr = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)
    found = {r.text.startswith("VC1:"): r.position for r in zxingcpp.read_barcodes(pdf_image(pdf), formats=only_qr)}
    url, offline = found[False], found[True]

    def side(p: zxingcpp.Position) -> int:
        return int(p.top_right.x - p.top_left.x)

    assert side(url) > side(offline) * 1.2  # the verification code is the big one …
    assert url.top_left.y < offline.top_left.y  # … and a camera meets it first, at the top


def test_expiry_is_printed_and_the_logo_and_signature_are_the_design_folders(ob3: Issued, tmp_path: Path) -> None:
    view = replace(certificate_view(load_credential(ob3.json_bytes)), valid_until=datetime(2029, 6, 30, tzinfo=UTC))
    text = pdf_text(render_certificate_pdf(ob3.json_bytes, verify_url=ob3.url, view=view))
    assert "Valid until: June 30, 2029" in text
    design = tmp_path / "design"
    source = load_layout().directory
    design.mkdir()
    (design / "fonts").symlink_to(source / "fonts")
    for f in source.glob("*.*"):
        (design / f.name).write_bytes(f.read_bytes())
    toml = design / "certificate.toml"
    toml.write_text(toml.read_text().replace('file = "logo.svg"', 'file = ""')
                    .replace('name = "Programme Lead"', 'name = {en = "Dr Jane Roe", es = "Dra. Jane Roe"}'))
    plain = render_certificate_pdf(ob3.json_bytes, verify_url=ob3.url, layout=load_layout(design), lang="es")
    assert "Dra. Jane Roe" in pdf_text(plain)
    with_logo = render_certificate_pdf(ob3.json_bytes, verify_url=ob3.url, lang="es")
    assert b"/Subtype /Image" in with_logo or len(with_logo) > len(plain)  # the logo is drawn only when configured
    toml.write_text(toml.read_text().replace('signature = "signature.svg"', 'signature = "missing.png"'))
    try:
        render_certificate_pdf(ob3.json_bytes, verify_url=ob3.url, layout=load_layout(design))
    except Exception as exc:
        assert "[signatory] signature" in str(exc) and "missing.png does not exist" in str(exc)
    else:
        raise AssertionError("a missing signature image must be reported")
