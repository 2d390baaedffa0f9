"""``python -m bridge.i18n update | compile | check``: the translation catalogues.

``update`` extracts every message LEADS shows (``babel.cfg``: templates, pages, errors) plus the platform-call
wordings the ``lti`` package leaves to the application to translate (``lti.outbound``), merges them into each
language's ``.po`` (new messages untranslated, messages no page uses any more dropped: a translator then sees
exactly what is shown) and compiles. ``compile``: ``.po`` to ``.mo``; ``check``: fail when a ``.mo`` is stale.
One command, so no hand-run extraction can miss the ``lti`` wordings and mark their translations obsolete.
"""

from __future__ import annotations

import io
import sys
import tempfile
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.frontend import CommandLineInterface
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from bridge.i18n import DOMAIN, LOCALE_DIR

ROOT = Path(__file__).resolve().parents[2]
#: every subclass of LeadsError (tests/bridge/test_errors.py keeps the list whole)
ERROR_CLASSES = ("NotFound", "UpstreamError", "ValidationFailed", "PoolRefused", "CapxRefused", "UnreadableCredential",
                 "OAuthError", "Unauthorized", "ScoreError", "WebhookRefused", "BackupError", "PushConflict",
                 "WikibaseApiError", "PropertyMapError",
                 "PermanentIssueError", "StudioError", "ImportFailed", "PushInterrupted")
#: error classes that word their message themselves (their first argument is no message; see their __init__)
SELF_WORDED = ("MoodleError", "CourseCreationFailed", "EditConflict", "PartlyPublished", "TooManyAttempts",
               "CourseOfAnotherDesign", "TooManyShares")
KEYWORDS = ("_n", "t", "tr:2", "_tr:2",  # beside gettext's own: plural helper, page helpers (bridge/i18n/ui.py)
            # errors people may read on a page: the literal message (a template when it has params) of each class
            "LeadsError", *ERROR_CLASSES, "LtiError", "refused:2", "worded", "Problem:3", "Term", "check_reason:2")


def compiled(po_path: str) -> bytes:
    with open(po_path, "rb") as fh:
        catalog = read_po(fh)
    buf = io.BytesIO()
    write_mo(buf, catalog, use_fuzzy=False)
    return buf.getvalue()


def extracted() -> Catalog:
    """Every message LEADS shows, as a template catalogue (sorted, without source locations)."""
    from lti.outbound import MESSAGES, WHAT  # translated by the application (bridge/ltitool/frames.py)

    with tempfile.TemporaryDirectory() as tmp:
        pot = Path(tmp) / f"{DOMAIN}.pot"
        CommandLineInterface().run([  # type: ignore[no-untyped-call]  # babel.cfg's paths are relative to ROOT
            "pybabel", "-q", "extract", "-F", str(ROOT / "bridge" / "i18n" / "babel.cfg"),
            *(arg for keyword in KEYWORDS for arg in ("-k", keyword)), "--no-location", "--omit-header",
            "--ignore-dirs", ".* _* node_modules var tests", "-o", str(pot), str(ROOT),
        ])
        with pot.open("rb") as fh:
            template = read_po(fh)
    for text in [*MESSAGES.values(), *WHAT]:
        if text not in template:
            template.add(text)
    return template


def updated(po_path: Path, template: Catalog) -> bytes:
    """``po_path`` merged with ``template``: translations kept, new messages empty, unused ones dropped."""
    with po_path.open("rb") as fh:
        catalog = read_po(fh)
    template.creation_date = catalog.creation_date  # an update that changes no message changes no byte
    catalog.update(template, no_fuzzy_matching=True)
    catalog.obsolete.clear()
    buf = io.BytesIO()
    write_po(buf, catalog, omit_header=False, sort_output=True, include_previous=False)
    return buf.getvalue()


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "compile"
    if command not in ("update", "compile", "check"):
        print("usage: python -m bridge.i18n update | compile | check", file=sys.stderr)
        return 2
    if command == "update":
        template = extracted()
        for po in sorted(LOCALE_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
            po.write_bytes(updated(po, template))
            catalog = read_po(po.open("rb"))
            missing = sum(1 for m in catalog if m.id and not m.string)
            print(f"updated {po}: {len(catalog)} messages, {missing} to translate")
    stale = []
    for po in sorted(LOCALE_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
        mo = po.with_suffix(".mo")
        data = compiled(str(po))
        if command == "check":
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
