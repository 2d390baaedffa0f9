"""The badge image of a credential design: the designer's own file when there is one, else a generated medal.

A designer drops ``templates/certificates/badges/<design-key>.svg`` and/or ``.png`` (ADR 022); without them the
badge is drawn from the design: a round medal in the certificate's colours with the design's title, the kind
(micro-credential or stacked) and the EQF level. The PNG (600 × 600, Pillow, the bundled DejaVu font) is what link
previews and LinkedIn show; the SVG is what the certificate page shows. Deterministic: same design, same bytes.
"""

from __future__ import annotations

import io
import textwrap
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from xml.sax.saxutils import escape

from PIL import Image, ImageDraw, ImageFont

from bridge.certificates.pdf import DESIGN_DIR
from bridge.dataspace.api import CredentialDesign

BADGE_DIR = DESIGN_DIR / "badges"
FONT = DESIGN_DIR / "fonts" / "DejaVuSans-Bold.ttf"
BRAND, LIGHT, GOLD = "#0b57a4", "#9ec1e6", "#c9a227"


@dataclass(frozen=True)
class BadgeText:
    title: str
    kind: str  # "Micro-credential" / "Stacked credential" in the badge's language
    eqf: str  # "EQF 5" or ""


def badge_text(design: CredentialDesign, lang: str, kind_words: tuple[str, str]) -> BadgeText:
    title = design.label(lang).split(": ", 1)[-1]  # "Micro-credential: Rights …" -> "Rights …"
    return BadgeText(title, kind_words[1] if design.is_stack else kind_words[0],
                     f"EQF {design.eqf_level}" if design.eqf_level else "")


def designed_badge(key: str, ext: str, directory: Path = BADGE_DIR) -> bytes | None:
    path = directory / f"{key}.{ext}"
    return path.read_bytes() if path.is_file() else None


def _lines(title: str) -> list[str]:
    lines = textwrap.wrap(title, 18)[:4]
    if len(textwrap.wrap(title, 18)) > 4:
        lines[-1] = lines[-1][:15] + "…"
    return lines


def badge_svg(text: BadgeText) -> bytes:
    lines = _lines(text.title)
    top = 300 - (len(lines) - 1) * 19
    words = "".join(f'<text x="300" y="{top + i * 38}" font-size="30">{escape(line)}</text>'
                    for i, line in enumerate(lines))
    label = escape(text.title, {'"': "&quot;"})
    svg = f"""<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 600 600" role="img" aria-label="{label}">
<circle cx="300" cy="300" r="290" fill="{GOLD}"/><circle cx="300" cy="300" r="268" fill="{BRAND}"/>
<circle cx="300" cy="300" r="236" fill="none" stroke="{LIGHT}" stroke-width="4" stroke-dasharray="6 10"/>
<g fill="#ffffff" font-family="DejaVu Sans, Verdana, sans-serif" font-weight="bold" text-anchor="middle">
<text x="300" y="150" font-size="26" fill="{LIGHT}">{escape(text.kind.upper())}</text>{words}
<text x="300" y="470" font-size="28" fill="{LIGHT}">{escape(text.eqf)}</text></g></svg>"""
    return svg.encode("utf-8")


@lru_cache(maxsize=256)  # 30 ms to draw and compress; every link preview of a shared certificate asks for it
def badge_png(text: BadgeText) -> bytes:
    image = Image.new("RGB", (600, 600), "#ffffff")
    draw = ImageDraw.Draw(image)
    draw.ellipse((10, 10, 590, 590), fill=GOLD)
    draw.ellipse((32, 32, 568, 568), fill=BRAND)
    draw.ellipse((64, 64, 536, 536), outline=LIGHT, width=4)
    small, big = ImageFont.truetype(str(FONT), 26), ImageFont.truetype(str(FONT), 30)
    draw.text((300, 150), text.kind.upper(), font=small, fill=LIGHT, anchor="ms")
    lines = _lines(text.title)
    top = 300 - (len(lines) - 1) * 19
    for i, line in enumerate(lines):
        draw.text((300, top + i * 38), line, font=big, fill="#ffffff", anchor="ms")
    if text.eqf:
        draw.text((300, 470), text.eqf, font=small, fill=LIGHT, anchor="ms")
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()
