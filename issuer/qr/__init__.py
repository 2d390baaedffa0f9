"""QR codes for credentials: the verification-URL QR and the offline QR that carries the credential itself."""

from issuer.qr.codes import Level, QrSymbol, QrTooLarge, make_qr
from issuer.qr.offline import PREFIX, OfflineQrError, decode_offline, encode_offline, fits_offline, offline_qr

__all__ = [
    "PREFIX",
    "Level",
    "OfflineQrError",
    "QrSymbol",
    "QrTooLarge",
    "decode_offline",
    "encode_offline",
    "fits_offline",
    "make_qr",
    "offline_qr",
]
