"""Helpers for tests: rasterise a PDF page (pypdfium2) and read every QR code on it (zxing-cpp)."""

from __future__ import annotations

import io

import pypdf
import pypdfium2 as pdfium  # type: ignore[import-untyped]
import zxingcpp
from PIL import Image


def pdf_image(pdf: bytes, scale: float = 4.0) -> Image.Image:
    document = pdfium.PdfDocument(pdf)
    try:
        image: Image.Image = document[0].render(scale=scale).to_pil()
        return image
    finally:
        document.close()


def qr_texts(image: Image.Image) -> list[str]:
    only_qr = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)
    return [r.text for r in zxingcpp.read_barcodes(image, formats=only_qr)]


def attachments(pdf: bytes) -> dict[str, list[bytes]]:
    return dict(pypdf.PdfReader(io.BytesIO(pdf)).attachments.items())


def pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages)
