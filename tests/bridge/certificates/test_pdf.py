"""The PDF certificate: the attachment is the served credential byte for byte, and its QR codes decode (zxing-cpp)
to the verification URL and to the credential itself."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from bridge.certificates.pdf import PdfCache, load_layout, render_certificate_pdf
from bridge.errors import LeadsError
from issuer.qr import decode_offline
from tests.bridge.certificates.conftest import Issued, Leads
from tests.bridge.certificates.rendering import attachments, pdf_image, pdf_text, qr_texts


def test_pdf_attachment_is_the_credential_and_qr_decodes_to_the_verification_url(leads: Leads, ob3: Issued) -> None:
    r = leads.client.get(f"/credentials/{ob3.id}/certificate.pdf?lang=en")
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    files = attachments(r.content)
    assert list(files) == ["credential.json"]
    assert files["credential.json"][0] == ob3.json_bytes  # byte-identical to GET /credentials/{id}
    texts = qr_texts(pdf_image(r.content))
    assert ob3.url in texts
    assert ob3.url == f"http://testserver/credentials/{ob3.id}"
    offline = [t for t in texts if t.startswith("VC1:")]
    assert len(offline) == 1 and decode_offline(offline[0]) == ob3.document
    text = pdf_text(r.content)
    for expected in ("Certificate", "Ada Lovelace", "Rights and licensing", "ECTS credits", "EQF level", "Grade",
                     "Learning outcomes", "Determine the copyright status of an archival item", "Competences"):
        assert expected in text


def test_the_qr_url_page_says_verified(leads: Leads, ob3: Issued) -> None:
    pdf = leads.client.get(f"/credentials/{ob3.id}/certificate.pdf").content
    url = next(t for t in qr_texts(pdf_image(pdf)) if t.startswith("http"))
    page = leads.client.get(url.replace("http://testserver", "") + "/certificate")
    assert page.status_code == 200
    assert 'data-verified="true"' in page.text and "Verified: this credential is genuine and valid." in page.text


def test_pdf_in_spanish(leads: Leads, ob3: Issued) -> None:
    text = pdf_text(leads.client.get(f"/credentials/{ob3.id}/certificate.pdf?lang=es").content)
    assert "Certificado" in text and "Se certifica que" in text and "Créditos ECTS" in text
    assert "de 20" in text  # a long Spanish date such as "25 de noviembre de 2026"


def test_edc_pdf_shows_outcomes_and_attaches_the_edc(leads: Leads) -> None:
    edc = leads.issue(fmt="edc", name="Grace Hopper", grade=None)
    pdf = leads.client.get(f"/credentials/{edc.id}/certificate.pdf").content
    assert attachments(pdf)["credential.json"][0] == edc.json_bytes
    text = pdf_text(pdf)
    assert "Grace Hopper" in text and "Learning outcomes" in text
    assert edc.url in qr_texts(pdf_image(pdf))


def test_jwt_credential_is_attached_as_credential_jwt(leads: Leads) -> None:
    jwt = leads.issue(fmt="jwt", name="Alan Turing")
    pdf = leads.client.get(f"/credentials/{jwt.id}/certificate.pdf").content
    files = attachments(pdf)
    assert list(files) == ["credential.jwt"] and files["credential.jwt"][0] == jwt.json_bytes
    assert "Alan Turing" in pdf_text(pdf)


def test_cache_renders_once_and_design_edits_invalidate(tmp_path: Path, ob3: Issued) -> None:
    design = tmp_path / "design"
    source = load_layout().directory
    (design / "fonts").mkdir(parents=True)
    for f in source.glob("*.*"):  # certificate.toml, certificate.pdf.html, the logo and the signature
        (design / f.name).write_bytes(f.read_bytes())
    for f in (source / "fonts").glob("*.ttf"):
        (design / "fonts" / f.name).symlink_to(f)
    cache = PdfCache(tmp_path / "cache", design_dir=design)
    first = cache.get_or_render(ob3.json_bytes, verify_url=ob3.url, lang="en")
    key = cache.key(ob3.json_bytes, ob3.url, "en")
    assert cache.path(key).read_bytes() == first
    cache.path(key).write_bytes(b"%PDF-cached")  # served from disk, not rendered again
    assert cache.get_or_render(ob3.json_bytes, verify_url=ob3.url, lang="en") == b"%PDF-cached"
    body = design / "certificate.pdf.html"
    body.write_text(body.read_text().replace('{{ _("Certificate") }}', "Certificate of Excellence"))
    assert cache.key(ob3.json_bytes, ob3.url, "en") != key
    edited = cache.get_or_render(ob3.json_bytes, verify_url=ob3.url, lang="en")
    assert "Certificate of Excellence" in pdf_text(edited)
    before = cache.key(ob3.json_bytes, ob3.url, "en")
    (design / "logo.svg").write_text((design / "logo.svg").read_text().replace("#0b57a4", "#aa0000"))
    assert cache.key(ob3.json_bytes, ob3.url, "en") != before  # a new logo is a new PDF


def test_rendering_is_deterministic(ob3: Issued) -> None:
    one = render_certificate_pdf(ob3.json_bytes, verify_url=ob3.url)
    two = render_certificate_pdf(ob3.json_bytes, verify_url=ob3.url)
    assert one == two


def test_a_broken_layout_says_which_key_is_wrong(tmp_path: Path, ob3: Issued) -> None:
    (tmp_path / "certificate.toml").write_text('[qr]\nsize = "big"\n')
    with pytest.raises(LeadsError, match=r"certificate.pdf.html is missing"):
        render_certificate_pdf(ob3.json_bytes, verify_url=ob3.url, layout=load_layout(tmp_path))
    (tmp_path / "certificate.pdf.html").write_text("<p><i>{{ c.learner }}</i></p>")
    with pytest.raises(LeadsError, match=r"\[fonts\] regular: .*fonts does not exist"):
        render_certificate_pdf(ob3.json_bytes, verify_url=ob3.url, layout=load_layout(tmp_path))
    (tmp_path / "fonts").symlink_to(load_layout().directory / "fonts")
    (tmp_path / "certificate.toml").write_text('[fonts]\nregular = "DejaVuSans.ttf"\nbold = "DejaVuSans-Bold.ttf"\n'
                                               'italic = "DejaVuSans-Oblique.ttf"\n[qr]\nsize = "big"\n')
    with pytest.raises(LeadsError, match=r"\[qr\] size must be a number"):
        render_certificate_pdf(ob3.json_bytes, verify_url=ob3.url, layout=load_layout(tmp_path))
    (tmp_path / "certificate.toml").write_text("[page\n")
    with pytest.raises(LeadsError, match="not valid TOML"):
        load_layout(tmp_path)


def test_offline_qr_is_left_out_when_the_credential_is_too_big(ob3: Issued) -> None:
    big = json.loads(ob3.json_bytes)
    big["description"] = "".join(hashlib.sha256(str(i).encode()).hexdigest() for i in range(60))  # incompressible
    pdf = render_certificate_pdf(json.dumps(big).encode(), verify_url=ob3.url)
    assert qr_texts(pdf_image(pdf)) == [ob3.url]


def test_a_warm_up_never_waits_for_another_threads_render_but_a_download_does(tmp_path: Path, ob3: Issued) -> None:
    """The page's background warm-up holds the visitor's keep-alive connection until it returns: while another
    thread renders the same PDF it returns at once, rendering nothing; a download waits for that render."""
    import threading
    import time

    cache = PdfCache(tmp_path / "cache")
    key = cache.key(ob3.json_bytes, ob3.url, "en")
    rendering = threading.Event()
    cache._rendering[key] = rendering  # another thread is rendering this PDF
    began = time.perf_counter()
    cache.warm(ob3.json_bytes, verify_url=ob3.url, lang="en")
    assert time.perf_counter() - began < 1 and not cache.path(key).exists()

    def other_thread_finishes() -> None:
        time.sleep(0.3)
        cache.path(key).parent.mkdir(parents=True, exist_ok=True)
        cache.path(key).write_bytes(b"%PDF-by-the-other-thread")
        with cache._lock:
            cache._rendering.pop(key)
        rendering.set()

    threading.Thread(target=other_thread_finishes).start()
    assert cache.get_or_render(ob3.json_bytes, verify_url=ob3.url, lang="en") == b"%PDF-by-the-other-thread"
    cache.warm(ob3.json_bytes, verify_url=ob3.url, lang="en")  # rendered: nothing to do
    assert cache.path(key).read_bytes() == b"%PDF-by-the-other-thread"
