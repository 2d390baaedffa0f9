"""QR symbols as a module matrix, drawn as SVG, PNG or (by callers) vector rectangles in a PDF.

The matrix comes from the ``qrcode`` package; drawing is done here from the matrix so every output (SVG, PNG, the
PDF certificate) shows the same symbol and is crisp at any size. Error correction defaults to Q (25% of the symbol
may be lost), which survives a printed certificate being folded, stained or photographed at an angle.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Literal

from issuer.errors import IssuerError

if TYPE_CHECKING:
    from PIL import Image

Level = Literal["L", "M", "Q", "H"]
# qrcode and Pillow are imported where a symbol is made or drawn: verifying needs neither, and they cost a tenth of
# a second of every `leads` command's start. The levels are qrcode's ERROR_CORRECT_* constants.
_LEVELS = {
    "L": 1,
    "M": 0,
    "Q": 3,
    "H": 2,
}
QUIET_ZONE = 4  # modules of white border the QR standard asks for


class QrTooLarge(IssuerError):
    code = "qr_too_large"
    status = 422


@dataclass(frozen=True)
class QrSymbol:
    """A QR symbol: ``rows[y][x]`` is True for a dark module; no quiet zone included."""

    text: str
    level: Level
    version: int
    rows: tuple[tuple[bool, ...], ...]

    @property
    def size(self) -> int:
        return len(self.rows)

    def runs(self) -> list[tuple[int, int, int]]:
        """Dark modules merged into horizontal runs ``(x, y, length)``: fewer shapes to draw."""
        out: list[tuple[int, int, int]] = []
        for y, row in enumerate(self.rows):
            x = 0
            while x < len(row):
                if row[x]:
                    start = x
                    while x < len(row) and row[x]:
                        x += 1
                    out.append((start, y, x - start))
                else:
                    x += 1
        return out

    def svg(self, *, title: str | None = None, module_px: int = 8) -> str:
        """A standalone SVG (one path, viewBox in modules plus the quiet zone) that scales without blur."""
        n = self.size + 2 * QUIET_ZONE
        path = "".join(f"M{x + QUIET_ZONE} {y + QUIET_ZONE}h{w}v1h-{w}z" for x, y, w in self.runs())
        label = _escape(title or self.text)
        return (
            f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {n} {n}" width="{n * module_px}" '
            f'height="{n * module_px}" role="img" aria-label="{label}" shape-rendering="crispEdges">'
            f"<title>{label}</title>"
            f'<rect width="{n}" height="{n}" fill="#fff"/><path d="{path}" fill="#000"/></svg>'
        )

    def image(self, *, module_px: int = 8) -> Image.Image:
        n = self.size + 2 * QUIET_ZONE
        from PIL import Image

        img = Image.new("1", (n, n), 1)
        pixels = img.load()
        assert pixels is not None
        for y, row in enumerate(self.rows):
            for x, dark in enumerate(row):
                if dark:
                    pixels[x + QUIET_ZONE, y + QUIET_ZONE] = 0
        return img.resize((n * module_px, n * module_px), Image.Resampling.NEAREST)

    def png(self, *, module_px: int = 8) -> bytes:
        buf = io.BytesIO()
        self.image(module_px=module_px).save(buf, format="PNG", optimize=True)
        return buf.getvalue()


@lru_cache(maxsize=512)  # symbols are immutable; a certificate page shows the same URL's QR on every view
def make_qr(text: str, *, level: Level = "Q", max_version: int = 40) -> QrSymbol:
    """Encode ``text`` in the smallest symbol at ``level``; refuse (QrTooLarge) past ``max_version``."""
    import qrcode
    from qrcode.exceptions import DataOverflowError

    qr = qrcode.QRCode(error_correction=_LEVELS[level], border=0)
    qr.add_data(text)
    try:
        qr.make(fit=True)
    except (DataOverflowError, ValueError):  # qrcode says "Invalid version (was 41...)" past version 40
        raise QrTooLarge(
            f"{len(text)} characters do not fit in any QR code at error-correction level {level}; "
            "use the verification-URL QR instead"
        ) from None
    if qr.version > max_version:
        raise QrTooLarge(
            f"{len(text)} characters need a version {qr.version} QR code at level {level}, larger than the "
            f"allowed version {max_version} (phones struggle to read denser printed codes)"
        )
    rows = tuple(tuple(bool(m) for m in row) for row in qr.get_matrix())
    return QrSymbol(text=text, level=level, version=int(qr.version), rows=rows)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
