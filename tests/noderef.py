"""Runs the Node reference verifier (tests/node/verify.mjs: @digitalbazaar/vc, pinned) on a credential.

A missing installation FAILS the test (with how to fix it): the issue asks for this real peer, so it is never skipped.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

NODE_DIR = Path(__file__).resolve().parent / "node"


def node_verify(credential: Any, tmp: Path, *, dids: dict[str, Any] | list[dict[str, Any]] | None = None,
                lists: dict[str, Any] | None = None) -> dict[str, Any]:
    """``{"verified": bool, "errors": [...]}`` from Node; ``lists`` maps status-list URLs to list credentials."""
    import pytest

    node = shutil.which("node")
    if node is None or not (NODE_DIR / "node_modules" / "@digitalbazaar" / "vc").is_dir():
        pytest.fail("the Node reference verifier is not installed: run `make node-deps` (npm ci in tests/node)")
    tmp.mkdir(parents=True, exist_ok=True)
    args = [node, str(NODE_DIR / "verify.mjs"), str(_write(tmp / "credential.json", credential))]
    if dids is not None:
        args += ["--dids", str(_write(tmp / "dids.json", dids))]
    if lists is not None:
        args += ["--lists", str(_write(tmp / "lists.json", lists))]
    done = subprocess.run(args, capture_output=True, text=True, timeout=60, check=False)
    assert done.stdout.strip(), done.stderr
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    assert (done.returncode == 0) == result["verified"], done
    return result


def _write(path: Path, data: Any) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path
