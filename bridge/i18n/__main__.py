"""``python -m bridge.i18n compile``: .po to .mo for every language (and ``check``: fail if a .mo is stale)."""

from __future__ import annotations

import io
import sys

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from bridge.i18n import DOMAIN, LOCALE_DIR


def compiled(po_path: str) -> bytes:
    with open(po_path, "rb") as fh:
        catalog = read_po(fh)
    buf = io.BytesIO()
    write_mo(buf, catalog, use_fuzzy=False)
    return buf.getvalue()


def main(argv: list[str]) -> int:
    stale = []
    for po in sorted(LOCALE_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
        mo = po.with_suffix(".mo")
        data = compiled(str(po))
        if argv[:1] == ["check"]:
            if not mo.exists() or mo.read_bytes() != data:
                stale.append(str(mo))
        else:
            mo.write_bytes(data)
            print(f"compiled {mo}")
    if stale:
        print("stale catalogues (run `uv run python -m bridge.i18n compile`):", *stale, sep="\n  ")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
