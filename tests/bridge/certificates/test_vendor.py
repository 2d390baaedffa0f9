"""The vendored browser library is the npm file its README names (hash), with its licence beside it."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

VENDOR = Path(__file__).resolve().parents[3] / "bridge" / "templates" / "static" / "vendor"


def test_jsqr_matches_the_recorded_hash_and_version() -> None:
    readme = (VENDOR / "README.md").read_text()
    recorded = re.search(r"sha256 `([0-9a-f]{64})`", readme)
    assert recorded is not None
    assert hashlib.sha256((VENDOR / "jsqr" / "jsQR.js").read_bytes()).hexdigest() == recorded.group(1)
    assert json.loads((VENDOR / "package.json").read_text())["dependencies"]["jsqr"] == "1.4.0"
    assert "Apache License" in (VENDOR / "jsqr" / "LICENSE").read_text()
