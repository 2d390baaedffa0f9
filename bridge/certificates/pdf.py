"""The PDF certificate: fpdf2 (pure Python, installs from PyPI alone) drawing a designer-editable layout.

The design is two files in ``templates/certificates/``: ``certificate.toml`` (page, fonts, frame, QR positions) and
``certificate.pdf.html`` (the wording, a Jinja2 template in fpdf2's HTML subset). The QR codes are drawn as vector
rectangles, so they stay sharp in print. The signed credential is attached byte for byte as an embedded file, so
the PDF alone is enough to verify (``leads verify``, or upload the PDF at /verify). Rendering is deterministic and
cached on disk under a key that hashes the credential, the language, the URL and the design files.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import re
import tempfile
import threading
import time
import tomllib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fpdf import FPDF

from bridge.certificates.story import Story, with_story
from bridge.certificates.view import CertificateView, certificate_view, load_credential
from bridge.errors import LeadsError
from bridge.i18n import LOCALE_DIR, TEMPLATES_DIR, environment, gettext_for
from issuer.qr import QrSymbol, QrTooLarge, make_qr, offline_qr

log = logging.getLogger("leads.certificates")

DESIGN_DIR = TEMPLATES_DIR / "certificates"
RENDERER_VERSION = "2"  # bump when the drawing code changes what a cached PDF looks like
ATTACHMENT_JSON = "credential.json"
ATTACHMENT_JWS = "credential.jwt"


def _rgb(value: str, where: str) -> tuple[int, int, int]:
    text = value.lstrip("#")
    if len(text) != 6:
        raise LeadsError("certificate.toml %(where)s: colour %(value)s must be written #rrggbb",
                         code="certificate_layout_invalid", status=500, params={"where": where, "value": repr(value)})
    return int(text[0:2], 16), int(text[2:4], 16), int(text[4:6], 16)


@dataclass(frozen=True)
class Layout:
    """``certificate.toml`` as read; ``raw`` keeps every table so new keys need no code here."""

    raw: dict[str, Any]
    directory: Path

    def get(self, table: str, key: str, default: Any = None) -> Any:
        return self.raw.get(table, {}).get(key, default)

    def number(self, table: str, key: str, default: float) -> float:
        value = self.get(table, key, default)
        if not isinstance(value, int | float):
            raise LeadsError("certificate.toml [%(table)s] %(key)s must be a number (millimetres), got %(value)s",
                             code="certificate_layout_invalid", status=500,
                             params={"table": table, "key": key, "value": repr(value)})
        return float(value)

    def color(self, table: str, key: str, default: str) -> tuple[int, int, int]:
        return _rgb(str(self.get(table, key, default)), f"[{table}] {key}")


def load_layout(directory: Path = DESIGN_DIR) -> Layout:
    path = directory / "certificate.toml"
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise LeadsError("the certificate design %(path)s is missing", code="certificate_layout_missing",
                         status=500, params={"path": path}) from None
    except tomllib.TOMLDecodeError as exc:
        raise LeadsError("%(path)s is not valid TOML: %(exc)s", code="certificate_layout_invalid", status=500,
                         params={"path": path, "exc": exc}) from None
    return Layout(raw=raw, directory=directory)


def design_fingerprint(directory: Path = DESIGN_DIR) -> str:
    """Hash of every design file: a designer's edit invalidates the cached PDFs."""
    digest = hashlib.sha256(RENDERER_VERSION.encode())
    for path in sorted(directory.glob("*.*")):  # certificate.toml/.pdf.html and the logo and signature images
        if path.is_file():
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
    for po in sorted(LOCALE_DIR.glob("*/LC_MESSAGES/*.mo")):
        digest.update(po.read_bytes())
    return digest.hexdigest()


def draw_qr(pdf: FPDF, symbol: QrSymbol, x: float, y: float, size: float, color: tuple[int, int, int]) -> None:
    """The symbol with its 4-module quiet zone as filled rectangles fitting a ``size`` mm square at (x, y)."""
    modules = symbol.size + 8
    m = size / modules
    pdf.set_fill_color(255, 255, 255)
    pdf.rect(x, y, size, size, style="F")
    pdf.set_fill_color(*color)
    for mx, my, width in symbol.runs():
        # a hair of overlap avoids white seams between rows in some viewers
        pdf.rect(x + (mx + 4) * m, y + (my + 4) * m, width * m, m + 0.01, style="F")


def _caption(pdf: FPDF, text: str, x: float, y: float, width: float, size: float,
             color: tuple[int, int, int]) -> None:
    pdf.set_text_color(*color)
    pdf.set_font(size=size)
    pdf.set_xy(x, y)
    pdf.multi_cell(width, size * 0.45, text, align="C")


def render_certificate_pdf(
    credential_bytes: bytes,
    *,
    verify_url: str,
    lang: str = "en",
    layout: Layout | None = None,
    view: CertificateView | None = None,
    story: Story | None = None,
) -> bytes:
    """The certificate PDF for a signed credential (JSON bytes or a compact JWS), with it attached unchanged.

    ``story`` is the design as the data space tells it in ``lang`` (title, outcomes, competences with levels),
    which a signed OB 3.0 credential carries only in part and in one language."""
    layout = layout or load_layout()
    credential = load_credential(credential_bytes)
    view = with_story(view or certificate_view(credential, lang), story)
    pdf = FPDF(orientation=str(layout.get("page", "orientation", "landscape")),
               format=str(layout.get("page", "format", "A4")))
    try:
        _draw(pdf, layout, credential, credential_bytes, view, verify_url, lang)
        return bytes(pdf.output())
    finally:  # fpdf2 opens TrueType files lazily; close them or every render leaks three file handles
        for font in pdf.fonts.values():
            close = getattr(font, "close", None)
            if callable(close):
                close()


def _draw(pdf: FPDF, layout: Layout, credential: dict[str, Any] | str, credential_bytes: bytes,
          view: CertificateView, verify_url: str, lang: str) -> None:
    _ = gettext_for(lang).gettext
    pdf.set_creation_date((view.issued or datetime(2000, 1, 1, tzinfo=UTC)).astimezone(UTC))
    pdf.set_title(f"{view.title} · {view.learner}")
    pdf.set_author(view.issuer_name)
    pdf.set_subject(_("Certificate"))
    pdf.set_creator("LEADS")
    pdf.set_lang(lang)
    family = str(layout.get("fonts", "family", "DejaVu"))
    template = layout.directory / "certificate.pdf.html"  # the design folder's own wording, not a global one
    try:
        source = template.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise LeadsError("the certificate design %(template)s is missing", code="certificate_layout_missing",
                         status=500, params={"template": template}) from None
    body = environment(lang).from_string(source).render(c=view, lang=lang, verify_url=verify_url)
    styles = [("", "regular"), ("B", "bold")]
    if re.search(r"<(i|em)\b", body, re.IGNORECASE):  # parsing a TrueType file costs ~0.1 s: only when used
        styles.append(("I", "italic"))
    for style, key in styles:
        font_file = layout.directory / "fonts" / str(layout.get("fonts", key, ""))
        if not font_file.is_file():
            raise LeadsError("certificate.toml [fonts] %(key)s: %(font_file)s does not exist",
                             code="certificate_layout_invalid", status=500, params={"key": key, "font_file": font_file})
        pdf.add_font(family, style, str(font_file))
    pdf.set_font(family, size=layout.number("body", "font_size", 11))
    bottom = layout.number("body", "bottom", 20)
    pdf.set_auto_page_break(True, margin=bottom)
    pdf.add_page()

    w, h = pdf.w, pdf.h
    pdf.set_fill_color(*layout.color("page", "background", "#ffffff"))
    pdf.rect(0, 0, w, h, style="F")
    for prefix in ("", "inner_"):
        inset = layout.number("frame", f"{prefix}inset", 8 if not prefix else 10.5)
        pdf.set_draw_color(*layout.color("frame", f"{prefix}color", "#0b57a4"))
        pdf.set_line_width(layout.number("frame", f"{prefix}width", 1.0 if not prefix else 0.3))
        pdf.rect(inset, inset, w - 2 * inset, h - 2 * inset)

    _draw_codes(pdf, layout, credential, view, verify_url, _)
    _draw_logo(pdf, layout)
    pdf.set_text_color(0, 0, 0)
    pdf.set_font(family, size=layout.number("body", "font_size", 11))
    bx, by = layout.number("body", "x", 22), layout.number("body", "y", 24)
    pdf.set_left_margin(bx)
    pdf.set_right_margin(w - bx - layout.number("body", "width", 198))
    pdf.set_xy(bx, by)
    pdf.write_html(body, font_family=family, ul_bullet_char="•", li_prefix_color=(11, 87, 164))

    attachment = ATTACHMENT_JWS if isinstance(credential, str) else ATTACHMENT_JSON
    footer_y = layout.number("footer", "y", h - 22)
    pdf.set_auto_page_break(False)
    pdf.set_left_margin(bx)
    _draw_signatory(pdf, layout, lang, family)
    _caption_left(pdf, " · ".join(filter(None, [
        _("Issued by %(issuer)s") % {"issuer": view.issuer_name} if view.issuer_name else "",
        _("Certificate number") + " " + view.credential_id.removeprefix("urn:uuid:"),
        _("A digitally signed copy is attached to this PDF (%(file)s).") % {"file": attachment},
    ])), bx, footer_y, w - 2 * bx, layout.number("footer", "size", 7), layout.color("footer", "color", "#555555"))

    pdf.embed_file(
        bytes=credential_bytes,
        basename=attachment,
        desc=_("The signed credential"),
        mime_type="application/vc+jwt" if isinstance(credential, str) else "application/ld+json",
        modification_date=view.issued,
        creation_date=view.issued,
        associated_file_relationship="Source",
    )


def _draw_codes(pdf: FPDF, layout: Layout, credential: dict[str, Any] | str, view: CertificateView,
                verify_url: str, _: Any) -> None:
    """The verification-URL code big and on top (a phone camera meets it first), the dense offline code smaller,
    lower and labelled as being for verification apps."""
    qr_x, qr_y, qr_size = (layout.number("qr", k, d) for k, d in (("x", 236), ("y", 22), ("size", 44)))
    caption_size = layout.number("qr", "caption_size", 7.5)
    caption_color = layout.color("qr", "caption_color", "#444444")
    draw_qr(pdf, make_qr(verify_url, level="Q"), qr_x, qr_y, qr_size, layout.color("qr", "color", "#000000"))
    pdf.set_font(style="B")
    _caption(pdf, _("Scan to verify"), qr_x - 6, qr_y + qr_size + 1, qr_size + 12, caption_size + 1.5,
             caption_color)
    pdf.set_font(style="")
    _caption(pdf, verify_url, qr_x - 6, pdf.get_y() + 0.5, qr_size + 12, caption_size, caption_color)
    if not layout.get("offline_qr", "enabled", False) or view.format not in ("ob3", "vc"):
        return
    try:
        offline = offline_qr(credential)
    except QrTooLarge:
        return
    ox, oy, osize = (layout.number("offline_qr", k, d) for k, d in (("x", 243), ("y", 112), ("size", 30)))
    draw_qr(pdf, offline, ox, oy, osize, layout.color("qr", "color", "#000000"))
    _caption(pdf, _("Offline copy for verification apps (no internet needed)"), ox - 6, oy + osize + 1,
             osize + 12, caption_size - 1, caption_color)


def design_image(layout: Layout, table: str, key: str) -> Path | None:
    name = layout.get(table, key)
    if not name:
        return None
    path = layout.directory / str(name)
    if not path.is_file():
        raise LeadsError("certificate.toml [%(table)s] %(key)s: %(path)s does not exist",
                         code="certificate_layout_invalid", status=500,
                         params={"table": table, "key": key, "path": path})
    return path


def _draw_logo(pdf: FPDF, layout: Layout) -> None:
    """The issuer's logo (PNG, JPEG or SVG in the design folder), top left above the wording."""
    path = design_image(layout, "logo", "file")
    if path is not None:
        pdf.image(str(path), x=layout.number("logo", "x", 22), y=layout.number("logo", "y", 16),
                  h=layout.number("logo", "height", 18))


def _localized(value: Any, lang: str) -> str:
    """A TOML string, or a table of languages (``{en = "…", es = "…"}``) read in ``lang``, else English."""
    if isinstance(value, dict):
        return str(value.get(lang) or value.get("en") or next(iter(value.values()), ""))
    return str(value or "")


def _draw_signatory(pdf: FPDF, layout: Layout, lang: str, family: str) -> None:
    """Who signs for the issuer: the signature image above a line, then the name and the role."""
    name = _localized(layout.get("signatory", "name"), lang)
    if not name:
        return
    x, y = layout.number("signatory", "x", 150), layout.number("signatory", "y", 160)
    width = layout.number("signatory", "width", 60)
    signature = design_image(layout, "signatory", "signature")
    if signature is not None:
        pdf.image(str(signature), x=x + 4, y=y - 16, w=width - 8, h=15, keep_aspect_ratio=True)
    pdf.set_draw_color(*layout.color("signatory", "color", "#1b1b1b"))
    pdf.set_line_width(0.3)
    pdf.line(x, y, x + width, y)
    pdf.set_text_color(27, 27, 27)
    pdf.set_font(family, style="B", size=9.5)
    pdf.set_xy(x, y + 1)
    pdf.multi_cell(width, 4.5, name, align="C")
    role = _localized(layout.get("signatory", "role"), lang)
    if role:
        pdf.set_font(family, style="", size=8)
        pdf.set_text_color(68, 68, 68)
        pdf.set_x(x)
        pdf.multi_cell(width, 3.8, role, align="C")


def _caption_left(pdf: FPDF, text: str, x: float, y: float, width: float, size: float,
                  color: tuple[int, int, int]) -> None:
    pdf.set_text_color(*color)
    pdf.set_font(size=size)
    pdf.set_xy(x, y)
    pdf.multi_cell(width, size * 0.45, text, align="L")


class PdfCache:
    """PDFs on disk under a content-hash key; rendering happens once, off the request path when warmed.

    Bounded: at most ``max_bytes`` on disk (``LEADS_CERTIFICATE_CACHE_MB``). A 100,000-learner course has 400,000
    certificates, about 14 GB of PDFs, on the data directory the signing keys live on; and a PDF is rendered again
    at will. Every ``max_bytes / PRUNE_EVERY`` written by this process, the directory is measured, and past the
    bound the least recently used PDFs (a read touches the file) go until it holds ``LOW_WATER`` of it. Processes
    sharing the directory each measure it, so together they stay within a few twentieths of the bound. A PDF that
    goes while someone reads it is rendered again. The worker's renders ahead of any visitor (``prerender``) only
    fill the cache up to ``LOW_WATER``: they never push out a PDF someone fetched."""

    PRUNE_EVERY = 20
    LOW_WATER = 0.8
    STALE_PART_SECONDS = 3600.0  # a half-written file this old belongs to a process that died

    def __init__(self, directory: Path, design_dir: Path = DESIGN_DIR, max_bytes: int = 1024 * 2**20) -> None:
        self.directory = directory
        self.design_dir = design_dir
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        self._rendering: dict[str, threading.Event] = {}
        self._pruning = threading.Lock()
        self._held: int | None = None  # bytes in the directory when this process last measured it
        self._written = 0  # bytes this process wrote since

    def key(self, credential_bytes: bytes, verify_url: str, lang: str, story: Story | None = None) -> str:
        digest = hashlib.sha256(design_fingerprint(self.design_dir).encode())
        told = (story.cache_key() if story else "").encode()
        for part in (credential_bytes, verify_url.encode(), lang.encode(), told):
            digest.update(len(part).to_bytes(8, "big") + part)
        return digest.hexdigest()

    def path(self, key: str) -> Path:
        return self.directory / key[:2] / f"{key}.pdf"

    def get_or_render(self, credential_bytes: bytes, *, verify_url: str, lang: str,
                      story: Story | None = None) -> bytes:
        """Blocking: call from a worker thread (a plain ``def`` route, a background task, the CLI)."""
        data = self._render_once(credential_bytes, verify_url=verify_url, lang=lang, story=story, wait=True)
        assert data is not None  # waiting callers always get the PDF
        return data

    @staticmethod
    def _read(path: Path) -> bytes | None:
        """The cached PDF, marked as just used; None when there is none (or it was pruned a moment ago)."""
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return None
        with contextlib.suppress(OSError):  # recency only: a read-only or vanished file is still served
            os.utime(path)
        return data

    def _render_once(self, credential_bytes: bytes, *, verify_url: str, lang: str, story: Story | None,
                     wait: bool, speculative: bool = False) -> bytes | None:
        """The PDF, rendered by one thread at a time per key; with ``wait=False``, None while another renders it;
        with ``speculative``, None when the cache has no room to spare."""
        key = self.key(credential_bytes, verify_url, lang, story)
        path = self.path(key)
        if (data := self._read(path)) is not None:
            return data
        if speculative and not self.has_room():
            return None
        with self._lock:
            waiting = self._rendering.get(key)
            if waiting is None:
                self._rendering[key] = threading.Event()
        if waiting is not None:  # another thread renders the same PDF: wait for it instead of rendering twice
            if not wait:
                return None
            waiting.wait(timeout=60)
            if (data := self._read(path)) is not None:
                return data
        try:
            data = render_certificate_pdf(credential_bytes, verify_url=verify_url, lang=lang,
                                          layout=load_layout(self.design_dir), story=story)
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".part")
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, path)  # atomic: a reader never sees half a PDF
            log.info("rendered certificate PDF %s (%d bytes)", key[:12], len(data))
        finally:
            with self._lock:
                event = self._rendering.pop(key, None)
            if event is not None:
                event.set()
        self._wrote(len(data))
        return data

    def _wrote(self, size: int) -> None:
        with self._lock:
            self._written += size
            due = self._held is None or self._written >= self.max_bytes // self.PRUNE_EVERY
        if due:
            self.prune()

    def has_room(self) -> bool:
        """Whether a speculative render fits under ``LOW_WATER`` of the bound, as far as this process knows."""
        if self._held is None:
            self.prune()
        with self._lock:
            return (self._held or 0) + self._written < self.max_bytes * self.LOW_WATER

    def prune(self) -> int:
        """Measure the directory; past the bound, remove the least recently used PDFs down to ``LOW_WATER`` of it
        (and half-written files left by a process that died). The bytes held after; one thread at a time."""
        if not self._pruning.acquire(blocking=False):
            return self._held or 0  # another thread measures right now
        try:
            now, found, held = time.time(), [], 0
            with contextlib.suppress(FileNotFoundError):
                for shard in os.scandir(self.directory):
                    if not shard.is_dir(follow_symlinks=False):
                        continue
                    for entry in os.scandir(shard.path):
                        with contextlib.suppress(FileNotFoundError):  # another process pruned it meanwhile
                            info = entry.stat(follow_symlinks=False)
                            if entry.name.endswith(".pdf"):
                                found.append((info.st_mtime, info.st_size, entry.path))
                                held += info.st_size
                            elif entry.name.endswith(".part") and now - info.st_mtime > self.STALE_PART_SECONDS:
                                os.unlink(entry.path)
            if held > self.max_bytes:
                target, removed = int(self.max_bytes * self.LOW_WATER), 0
                for _, size, path in sorted(found):
                    if held <= target:
                        break
                    with contextlib.suppress(FileNotFoundError):
                        os.unlink(path)
                    held, removed = held - size, removed + 1
                log.info("certificate PDF cache: %d least recently used removed, %d MB kept (bound %d MB)",
                         removed, held // 2**20, self.max_bytes // 2**20)
            with self._lock:
                self._held, self._written = held, 0
            return held
        finally:
            self._pruning.release()

    def prerender(self, credential_bytes: bytes, *, verify_url: str, lang: str, story: Story | None = None) -> bool:
        """The worker's render right after issuance, ahead of any visitor: only while the cache has room to spare,
        so it never pushes out a PDF someone fetched (past that, the certificate page renders it for its first
        visitor). Errors propagate, so the job is tried again. Whether the PDF is in the cache."""
        return self._render_once(credential_bytes, verify_url=verify_url, lang=lang, story=story, wait=True,
                                 speculative=True) is not None

    def warm(self, credential_bytes: bytes, *, verify_url: str, lang: str, story: Story | None = None) -> None:
        """Render ahead of the first download (a FastAPI BackgroundTask after the certificate page). When another
        thread already renders that PDF, return at once: a background task holds its keep-alive connection (the
        visitor's next request waits behind it) and a thread, and nobody needs this one's copy."""
        try:
            self._render_once(credential_bytes, verify_url=verify_url, lang=lang, story=story, wait=False)
        except Exception:  # a background warm-up must never fail the page; the download retries and reports
            log.exception("could not pre-render the certificate PDF (%s)", lang)
