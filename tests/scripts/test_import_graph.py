"""The package import graph of bridge/ has no cycle and no domain is entered except through its door (decision 019).

import-linter enforces the layers in `make lint`; this test prints the whole graph so a failure shows it.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_bridge_import_graph_has_no_cycle_and_no_bypassed_door() -> None:
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "import_graph.py"), "--hidden"],
                          capture_output=True, text=True, check=False)
    print(done.stdout)
    assert "cycles: 0" in done.stdout
    assert "bypass a domain's door (bridge.<domain>.api): 0" in done.stdout
    assert "imports inside functions across domains: 0" in done.stdout
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_graph_script_sees_a_cycle(tmp_path: Path) -> None:
    """The checker can fail: a two-package loop is reported."""
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import import_graph
    finally:
        sys.path.pop(0)
    assert import_graph.cycles({"a": {"b"}, "b": {"a"}, "c": {"a"}}) == [["a", "b"]]
    assert import_graph.cycles({"a": {"b"}, "b": set()}) == []
