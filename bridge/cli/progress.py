"""Progress of long commands: a rich bar with counts and an ETA in a terminal, plain lines otherwise.

Why both: an operator at a terminal wants to see that a push of thousands of entities moves and when it ends; a
cron job or a CI log wants a few greppable lines, not control characters. ``update(done, total)`` fits the
callbacks of the domain code (which knows nothing of terminals); ``advance()`` fits a loop in the command.
"""

from __future__ import annotations

import re
import sys
import time
from types import TracebackType
from typing import Any, TextIO

_COUNT = re.compile(r"\s*\[(\d+)/(\d+)\]\s*(.*)")


class Progress:
    def __init__(self, label: str, total: int | None = None, *, stream: TextIO | None = None,
                 terminal: bool | None = None, every: float = 2.0, quiet: bool = False) -> None:
        """``quiet``: nothing at all (a command printing JSON keeps its output machine-readable)."""
        self.label, self.total = label, total
        self.quiet = quiet
        self.stream = stream or sys.stderr
        self.terminal = self.stream.isatty() if terminal is None else terminal
        self.every = every  # seconds between plain lines
        self.done = 0
        self._bar: Any = None
        self._task: Any = None
        self._last = float("-inf")  # the first state always prints (monotonic starts near 0 at boot)
        self._printed = -1
        self._start = time.monotonic()

    def __enter__(self) -> Progress:
        if self.terminal and not self.quiet:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn, TimeRemainingColumn
            from rich.progress import Progress as RichProgress

            self._bar = RichProgress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                     TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
                                     console=Console(file=self.stream), transient=False)
            self._bar.start()
            self._task = self._bar.add_task(self.label, total=self.total)
        return self

    def update(self, done: int, total: int | None = None) -> None:
        """``done`` of ``total`` items finished (a callback for domain code)."""
        self.done = done
        if total is not None:
            self.total = total
        if self._bar is not None:
            self._bar.update(self._task, completed=done, total=self.total)
            return
        if self.quiet:
            return
        now = time.monotonic()
        if now - self._last >= self.every or (self.total is not None and done >= self.total):
            self._last = now
            self._line()

    def note(self, text: str) -> None:
        """A message of the domain code (e.g. the Wikibase client's ``[n/total] updating …``): a leading
        ``[n/total]`` moves the bar and the rest becomes its label; other messages are printed above it."""
        found = _COUNT.match(text)
        if self._bar is not None:
            if found:
                self._bar.update(self._task, completed=int(found[1]), total=int(found[2]),
                                 description=f"{self.label}: {found[3][:40]}")
                self.done, self.total = int(found[1]), int(found[2])
            else:
                self._bar.console.print(text, markup=False, highlight=False)
            return
        if self.quiet:
            return
        print(text, file=self.stream, flush=True)  # plain: every message as a line, as before
        if found:
            self.done, self.total, self._printed = int(found[1]), int(found[2]), int(found[1])

    def advance(self, step: int = 1) -> None:
        self.update(self.done + step)

    def _line(self) -> None:
        self._printed = self.done
        elapsed = time.monotonic() - self._start
        if self.total:
            eta = elapsed / self.done * (self.total - self.done) if self.done else None
            tail = f" eta {eta:.0f}s" if eta is not None and self.done < self.total else ""
            print(f"{self.label}: {self.done}/{self.total} ({self.done * 100 // self.total}%) "
                  f"{elapsed:.0f}s{tail}", file=self.stream, flush=True)
        else:
            print(f"{self.label}: {self.done} {elapsed:.0f}s", file=self.stream, flush=True)

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._bar is not None:
            self._bar.stop()
        elif self.done != self._printed and not self.quiet:  # the last state, once
            self._line()
