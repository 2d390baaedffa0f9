"""Long commands' progress: a rich bar with counts and an ETA in a terminal, plain lines otherwise, nothing in
JSON mode; and the lazy ``leads`` group lists every command without importing one."""

from __future__ import annotations

import io
import subprocess
import sys

from bridge.cli.progress import Progress


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_plain_lines_without_a_terminal() -> None:
    out = io.StringIO()
    with Progress("rows", 10, stream=out, every=3600) as bar:
        for _ in range(10):
            bar.advance()
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("rows: 1/10 (10%)") and "eta" in lines[0]
    assert lines[-1].startswith("rows: 10/10 (100%)") and len(lines) == 2  # first, then the last state once


def test_a_bar_with_counts_and_eta_in_a_terminal_and_notes_move_it() -> None:
    out = Tty()
    with Progress("wikibase push", stream=out) as bar:
        bar.note("[3/7] updating glam-mc-rights (Q12)")
        bar.note("a message without a count")
    text = out.getvalue()
    assert "3/7" in text and "ETA" in text and "━" in text and "a message without a count" in text


def test_quiet_prints_nothing() -> None:
    out = Tty()
    with Progress("x", 2, stream=out, quiet=True) as bar:
        bar.update(1)
        bar.note("[1/2] y")
    assert out.getvalue() == ""


def test_help_lists_every_command_without_importing_them() -> None:
    heavy = "('bridge.', 'sqlalchemy', 'fastapi', 'fpdf', 'pyshacl')"
    code = ("import sys; sys.argv = ['leads', '--help']\nfrom bridge.cli import app\ntry:\n    app()\n"
            "except SystemExit:\n    pass\n"
            f"print(sorted(m for m in sys.modules if m.startswith({heavy}) and m != 'bridge.cli'))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "backup" in done.stdout and "keys" in done.stdout and "verify" in done.stdout
    assert done.stdout.strip().splitlines()[-1] == "[]"
