"""Certificate rendering speed: PDF renders per second (uncached and cached) and QR codes per second; one JSON line.

The credential is the signed Open Badges 3.0 test vector (tests/issuer/qr/fixtures/ob3-signed.json). An uncached PDF
render includes both QR codes (verification URL at level Q, offline VC1 at level M), fonts, the HTML body and the
embedded credential. ``BENCH_SECONDS`` (default 3) bounds each measurement.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bridge.certificates.pdf import PdfCache, render_certificate_pdf  # noqa: E402
from issuer.qr import encode_offline, make_qr, offline_qr  # noqa: E402

SECONDS = float(os.environ.get("BENCH_SECONDS", "3"))
CREDENTIAL = (ROOT / "tests" / "issuer" / "qr" / "fixtures" / "ob3-signed.json").read_bytes()
URL = "https://leads.example.org/credentials/3f1c2a9e-6b1d-4c38-9a57-0d0f7a1e2b44"


def rate(fn: Callable[[int], object]) -> float:
    """Calls per second of ``fn(i)`` over about SECONDS (at least 3 calls)."""
    fn(-1)  # warm-up: imports, fonts, catalogues
    count, start = 0, time.perf_counter()
    while count < 3 or time.perf_counter() - start < SECONDS:
        fn(count)
        count += 1
    return count / (time.perf_counter() - start)


def main() -> None:
    doc = json.loads(CREDENTIAL)
    with tempfile.TemporaryDirectory() as tmp:
        cache = PdfCache(Path(tmp))
        cache.get_or_render(CREDENTIAL, verify_url=URL, lang="en")
        result = {
            "benchmark": "certificates",
            "pdf_per_s": round(rate(lambda i: render_certificate_pdf(CREDENTIAL, verify_url=f"{URL}?{i}")), 2),
            "pdf_cached_per_s": round(rate(lambda i: cache.get_or_render(CREDENTIAL, verify_url=URL, lang="en")), 1),
            "qr_url_svg_per_s": round(rate(lambda i: make_qr(f"{URL}{i}").svg()), 1),
            "qr_url_png_per_s": round(rate(lambda i: make_qr(f"{URL}{i}").png()), 1),
            "offline_text_per_s": round(rate(lambda i: encode_offline({**doc, "name": f"Teamwork {i}"})), 1),
            "offline_qr_per_s": round(rate(lambda i: offline_qr({**doc, "name": f"Teamwork {i}"})), 2),
            "offline_qr_version": offline_qr(doc).version,
            "pdf_bytes": len(render_certificate_pdf(CREDENTIAL, verify_url=URL)),
        }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
