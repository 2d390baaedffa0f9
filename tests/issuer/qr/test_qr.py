"""QR symbols decoded by a real decoder (zxing-cpp): the URL QR and the offline QR round-trip exactly."""

from __future__ import annotations

import io
import json
import zlib
from pathlib import Path
from typing import Any

import pytest
import zxingcpp
from PIL import Image

from issuer.qr import OfflineQrError, QrTooLarge, decode_offline, encode_offline, fits_offline, make_qr, offline_qr
from issuer.qr.base45 import Base45Error, b45decode, b45encode
from issuer.qr.offline import dictionary

FIXTURES = Path(__file__).parent / "fixtures"
URL = "https://leads.example.org/credentials/3f1c2a9e-6b1d-4c38-9a57-0d0f7a1e2b44"


def _decode_png(png: bytes) -> list[Any]:
    only_qr = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)
    return list(zxingcpp.read_barcodes(Image.open(io.BytesIO(png)), formats=only_qr))


def _signed() -> dict[str, Any]:
    value: dict[str, Any] = json.loads((FIXTURES / "ob3-signed.json").read_text())
    return value


def test_url_qr_png_decodes_to_the_url_at_level_q() -> None:
    symbol = make_qr(URL)
    found = _decode_png(symbol.png())
    assert [r.text for r in found] == [URL]
    assert found[0].ec_level == "Q"
    assert symbol.level == "Q"


def test_level_h_is_available() -> None:
    symbol = make_qr(URL, level="H")
    assert _decode_png(symbol.png(module_px=4))[0].ec_level == "H"
    assert symbol.version > make_qr(URL, level="L").version


def test_svg_has_one_path_and_an_accessible_name() -> None:
    svg = make_qr(URL).svg(title="Verify this credential")
    assert svg.startswith("<svg") and svg.count("<path") == 1
    assert 'aria-label="Verify this credential"' in svg
    # the SVG draws the same modules as the PNG: rasterise the path runs and decode them
    symbol = make_qr(URL)
    n = symbol.size + 8
    img = Image.new("L", (n, n), 255)
    for x, y, w in symbol.runs():
        for dx in range(w):
            img.putpixel((x + 4 + dx, y + 4), 0)
    big = img.resize((n * 6, n * 6), Image.Resampling.NEAREST)
    assert zxingcpp.read_barcodes(big)[0].text == URL


def test_base45_rfc9285_examples() -> None:
    assert b45encode(b"AB") == "BB8"
    assert b45encode(b"Hello!!") == "%69 VD92EX0"
    assert b45encode(b"base-45") == "UJCLQE7W581"
    assert b45decode("QED8WEX0") == b"ietf!"
    with pytest.raises(Base45Error):
        b45decode("GGW")  # 65535 < value: not a valid triple
    with pytest.raises(Base45Error):
        b45decode("abc")


def test_offline_qr_round_trips_the_exact_credential_through_a_real_decoder() -> None:
    credential = _signed()
    symbol = offline_qr(credential)
    found = _decode_png(symbol.png(module_px=4))
    assert len(found) == 1
    text = found[0].text
    assert text.startswith("VC1:")
    decoded = decode_offline(text)
    assert decoded == credential
    assert json.dumps(decoded) == json.dumps(credential)  # same key order, same number types


def test_offline_text_uses_only_the_alphanumeric_set_and_the_dictionary_pays() -> None:
    credential = _signed()
    text = encode_offline(credential)
    assert set(text) <= set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:")
    import cbor2

    without_dictionary = len(zlib.compress(cbor2.dumps(credential), 9))
    assert len(b45decode(text[4:])) < 0.8 * without_dictionary


def test_offline_qr_carries_an_enveloped_jws_string() -> None:
    jws = "eyJhbGciOiJFZERTQSJ9.eyJpc3MiOiJkaWQ6a2V5OnoifQ.c2ln"
    assert decode_offline(encode_offline(jws)) == jws


def test_too_large_credential_is_refused_with_a_reason() -> None:
    big = _signed()
    big["description"] = "".join(f"{i:x}" for i in range(4000))
    assert not fits_offline(big)
    with pytest.raises(QrTooLarge, match="too large for an offline QR"):
        offline_qr(big)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("HC1:ABC", "should start with 'VC1:'"),
        ("VC1:A", "damaged"),
        ("VC1:" + b45encode(b"not zlib at all"), "damaged or not VC1"),
        ("VC1:" + b45encode(zlib.compress(b"\xff\xff")), "not packed with the VC1 dictionary"),
        ("VC1:" + b45encode(zlib.compressobj(zdict=b"other dictionary").compress(b"x") + b"\0"), "does not decompress"),
    ],
)
def test_damaged_offline_text_is_refused_clearly(text: str, message: str) -> None:
    with pytest.raises(OfflineQrError, match=message):
        decode_offline(text)


def test_non_json_cbor_is_refused() -> None:
    import cbor2

    packer = zlib.compressobj(level=9, zdict=dictionary())
    packed = packer.compress(cbor2.dumps({"a": b"bytes"})) + packer.flush()
    with pytest.raises(OfflineQrError, match="JSON does not have"):
        decode_offline("VC1:" + b45encode(packed))


def test_zip_bomb_is_refused() -> None:
    import cbor2

    packer = zlib.compressobj(level=9, zdict=dictionary())
    packed = packer.compress(cbor2.dumps("a" * (2 << 20))) + packer.flush()
    with pytest.raises(OfflineQrError, match="past 1 MiB"):
        decode_offline("VC1:" + b45encode(packed))
