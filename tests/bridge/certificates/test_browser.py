"""Headless Chromium on /verify: a valid, a tampered and a revoked credential uploaded as files, a certificate PDF,
and QR photos decoded in the page by the vendored jsQR. Screenshots go to a temporary folder (and, when
LEADS_SCREENSHOTS_DIR is set, are copied there for people to look at)."""

from __future__ import annotations

import json
import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from bridge.app import create_app
from bridge.settings import Settings
from issuer.qr import make_qr, offline_qr

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ADMIN = {"Authorization": "Bearer change-me-dev-only"}


@dataclass
class Live:
    url: str
    client: httpx.Client

    def issue(self, name: str, fmt: str = "ob3") -> tuple[str, bytes]:
        r = self.client.post("/api/credentials", json={"design": "glam-mc-rights", "learner": {"name": name},
                                                       "format": fmt, "grade": "A"}, headers=ADMIN)
        assert r.status_code == 201, r.text
        cid = r.json()["id"]
        return cid, self.client.get(f"/credentials/{cid}?format=json").content


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    settings = Settings(data_dir=tmp_path_factory.mktemp("live") / "var", base_url=base, load_sample=True)
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port,
                                           log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        with httpx.Client(base_url=base, timeout=30) as client:
            yield Live(base, client)
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    folder = tmp_path_factory.mktemp("screens")
    yield folder
    target = os.environ.get("LEADS_SCREENSHOTS_DIR")
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        for shot in folder.glob("*.png"):
            shutil.copy(shot, Path(target) / shot.name)


@pytest.fixture(scope="module")
def pw_session() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="module")
def browser(pw_session: Any) -> Iterator[Any]:
    chromium = pw_session.chromium.launch(executable_path=CHROMIUM, args=ARGS)
    try:
        yield chromium
    finally:
        chromium.close()


def _upload(browser: Any, live: Live, tmp: Path, name: str, data: bytes, shot: Path, lang: str = "en") -> Any:
    page = browser.new_page(viewport={"width": 1100, "height": 900}, locale=lang)
    page.goto(f"{live.url}/verify?lang={lang}")
    file = tmp / name
    file.write_bytes(data)
    page.locator("#file").set_input_files(str(file))
    page.locator("#upload-form button[type=submit]").click()
    page.wait_for_load_state()
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
    return page


def _checks(page: Any) -> dict[str, str]:
    items = page.locator("ol.checks li")
    return {items.nth(i).get_attribute("data-check"): items.nth(i).get_attribute("class")
            for i in range(items.count())}


@pytest.mark.browser
def test_verify_valid_tampered_and_revoked(browser: Any, live: Live, shots: Path, tmp_path: Path) -> None:
    _cid, valid = live.issue("Ada Lovelace")
    page = _upload(browser, live, tmp_path, "valid.json", valid, shots / "verify-valid.png")
    verdict = page.get_by_role("status")
    assert verdict.get_attribute("data-verified") == "true"
    assert "Verified: this credential is genuine and valid." in verdict.inner_text()
    assert set(_checks(page).values()) == {"passed"}
    assert page.get_by_role("heading", level=1).inner_text() == "Verify a credential"

    tampered = json.loads(valid)
    tampered["credentialSubject"]["identifier"][0]["identityHash"] = "Mallory"
    page = _upload(browser, live, tmp_path, "tampered.json", json.dumps(tampered).encode(),
                   shots / "verify-tampered.png")
    assert page.get_by_role("status").get_attribute("data-verified") == "false"
    assert "altered" in page.get_by_role("status").inner_text()
    assert _checks(page)["proof"] == "failed"
    assert "Do not trust any of its content" in page.locator('li[data-check="proof"]').inner_text()

    revoked_id, revoked = live.issue("Revoked Person")
    r = live.client.post(f"/api/credentials/{revoked_id}/revoke", json={"reason": "test"}, headers=ADMIN)
    assert r.status_code == 200
    page = _upload(browser, live, tmp_path, "revoked.json", revoked, shots / "verify-revoked.png", lang="es")
    assert page.get_by_role("status").get_attribute("data-verified") == "false"
    assert "revocado" in page.get_by_role("status").inner_text()
    checks = _checks(page)
    assert checks["status"] == "failed" and checks["proof"] == "passed"


@pytest.mark.browser
def test_verify_pdf_and_certificate_page(browser: Any, live: Live, shots: Path, tmp_path: Path) -> None:
    cid, _valid = live.issue("Grace Hopper")
    pdf = live.client.get(f"/credentials/{cid}/certificate.pdf").content
    page = _upload(browser, live, tmp_path, "certificate.pdf", pdf, shots / "verify-pdf.png")
    assert page.get_by_role("status").get_attribute("data-verified") == "true"
    assert "Grace Hopper" in page.content()

    page = browser.new_page(viewport={"width": 1100, "height": 900})
    page.goto(f"{live.url}/credentials/{cid}/certificate")
    assert page.get_by_role("heading", level=1).inner_text().startswith("Micro-credential")
    assert page.get_by_role("status").get_attribute("data-verified") == "true"
    qr = page.get_by_role("img", name="Scan to verify this certificate")
    assert qr.bounding_box() is not None
    page.screenshot(path=str(shots / "certificate-page.png"), full_page=True)
    page.emulate_media(media="print")
    assert page.locator("header").is_hidden() and page.locator(".downloads").is_hidden()


@pytest.mark.browser
def test_qr_photos_are_decoded_in_the_page(browser: Any, live: Live, shots: Path, tmp_path: Path) -> None:
    cid, valid = live.issue("Alan Turing")
    page = browser.new_page(viewport={"width": 1100, "height": 900})
    page.goto(f"{live.url}/verify")
    assert page.locator("#scan").is_visible()  # the camera section appears with JavaScript
    photo = tmp_path / "offline.png"
    photo.write_bytes(offline_qr(json.loads(valid)).png(module_px=4))
    with page.expect_navigation():
        page.locator("#scan-photo").set_input_files(str(photo))
    assert page.get_by_role("status").get_attribute("data-verified") == "true"
    assert "The offline QR code (the credential itself)" in page.content()
    page.screenshot(path=str(shots / "verify-offline-qr.png"), full_page=True)

    page.goto(f"{live.url}/verify")
    url_photo = tmp_path / "url.png"
    url_photo.write_bytes(make_qr(f"{live.url}/credentials/{cid}").png())
    with page.expect_navigation():
        page.locator("#scan-photo").set_input_files(str(url_photo))
    assert page.url == f"{live.url}/credentials/{cid}"


def _y4m(png: bytes, path: Path, size: int = 480, frames: int = 10) -> None:
    """A tiny Y4M video (what Chromium's fake camera plays) showing the QR image centred on white."""
    import io

    from PIL import Image

    qr = Image.open(io.BytesIO(png)).convert("L")
    qr.thumbnail((size - 40, size - 40), Image.Resampling.NEAREST)
    frame = Image.new("L", (size, size), 255)
    frame.paste(qr, ((size - qr.width) // 2, (size - qr.height) // 2))
    luma = frame.tobytes()
    chroma = bytes([128]) * ((size // 2) * (size // 2))
    with path.open("wb") as fh:
        fh.write(f"YUV4MPEG2 W{size} H{size} F5:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(frames):
            fh.write(b"FRAME\n" + luma + chroma + chroma)


@pytest.mark.browser
def test_camera_scan_of_the_certificate_qr(pw_session: Any, live: Live, shots: Path, tmp_path: Path) -> None:
    """The device camera (Chromium's fake camera playing a video of the printed QR) leads to the verified page."""
    _cid, valid = live.issue("Camera Person")
    video = tmp_path / "qr.y4m"
    _y4m(offline_qr(json.loads(valid)).png(module_px=4), video)
    camera = [*ARGS, "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
              f"--use-file-for-fake-video-capture={video}"]
    chromium = pw_session.chromium.launch(executable_path=CHROMIUM, args=camera)
    try:
        context = chromium.new_context(viewport={"width": 1100, "height": 900})
        context.grant_permissions(["camera"], origin=live.url)
        page = context.new_page()
        page.goto(f"{live.url}/verify")
        with page.expect_navigation(timeout=20_000):
            page.get_by_role("button", name="Start the camera").click()
        assert page.get_by_role("status").get_attribute("data-verified") == "true"
        assert "Camera Person" in page.content()
        page.screenshot(path=str(shots / "verify-camera.png"), full_page=True)
    finally:
        chromium.close()
