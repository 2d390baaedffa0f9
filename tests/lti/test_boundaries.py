"""``lti/`` is reusable: it must not import the application (``bridge``) or the credential package (``issuer``)."""

from __future__ import annotations

import ast
from pathlib import Path

LTI = Path(__file__).resolve().parents[2] / "lti"


def test_lti_imports_neither_bridge_nor_issuer() -> None:
    offenders = []
    for path in sorted(LTI.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            offenders += [f"{path.name}: {n}" for n in names if n.split(".")[0] in ("bridge", "issuer")]
    assert offenders == []
    assert len(list(LTI.rglob("*.py"))) >= 10
