"""A long-running process sets what start-up built aside from the collector (in a process of its own here: the
test process keeps Python's defaults)."""

from __future__ import annotations

import subprocess
import sys

from bridge.memory import GC_GEN0_THRESHOLD


def test_settle_freezes_what_start_up_built_and_spaces_young_collections() -> None:
    out = subprocess.run([sys.executable, "-c", "import gc, bridge.awards.runner\nfrom bridge import memory\n"
                          "before = gc.get_freeze_count()\nmemory.settle()\n"
                          "print(before, gc.get_freeze_count(), gc.get_threshold()[0])"],
                         capture_output=True, text=True, check=True)
    before, after, threshold = (int(x) for x in out.stdout.split())
    assert before == 0 and after > 50_000  # the modules of a worker: hundreds of thousands of objects
    assert threshold == GC_GEN0_THRESHOLD
