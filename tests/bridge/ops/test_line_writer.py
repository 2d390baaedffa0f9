"""The log writer thread: lines written in order and in batches (one write per wake-up, not one per line), none
dropped when the queue is full (the request waits), a line that cannot be formatted reported, the rest written."""

from __future__ import annotations

import io
import json
import logging
import queue
import threading

import pytest

from bridge.ops.logs import DeferredHandler, JsonFormatter, LineWriter


class CountingStream(io.StringIO):
    def __init__(self) -> None:
        super().__init__()
        self.writes = 0

    def write(self, text: str) -> int:
        self.writes += 1
        return super().write(text)


def _writer(maxsize: int, every: float = 0.01) -> tuple[logging.Logger, CountingStream, LineWriter]:
    stream = CountingStream()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    lines: queue.Queue[logging.LogRecord] = queue.Queue(maxsize)
    logger = logging.getLogger(f"leads.test.writer.{maxsize}.{every}")
    logger.propagate, logger.level = False, logging.INFO
    logger.handlers = [DeferredHandler(lines)]
    return logger, stream, LineWriter(lines, handler, every=every)


def _messages(stream: io.StringIO) -> list[str]:
    return [json.loads(line)["message"] for line in stream.getvalue().splitlines()]


def test_lines_arrive_in_order_in_batches_and_stop_writes_the_rest() -> None:
    logger, stream, writer = _writer(10_000, every=0.05)
    writer.start()
    for i in range(3_000):
        logger.info("line %d", i)
    writer.stop()
    assert _messages(stream) == [f"line {i}" for i in range(3_000)]
    assert 1 <= stream.writes < 300  # batched: far fewer writes than lines


def test_a_full_queue_makes_the_caller_wait_and_drops_nothing() -> None:
    logger, stream, writer = _writer(5)
    writer.start()
    done = threading.Event()

    def many() -> None:
        for i in range(500):
            logger.info("line %d", i)  # blocks while 5 lines are pending
        done.set()

    threading.Thread(target=many).start()
    assert done.wait(30)
    writer.stop()
    assert _messages(stream) == [f"line {i}" for i in range(500)]


def test_a_line_that_cannot_be_formatted_is_reported_and_the_others_written(
        capsys: pytest.CaptureFixture[str]) -> None:
    logger, stream, writer = _writer(100)
    logger.info("before")
    logger.handlers[0].lines.put(logging.LogRecord("x", logging.INFO, "", 0, "%d", ("not a number",), None))  # type: ignore[attr-defined]
    logger.info("after")
    assert writer.write_pending() == 3
    assert _messages(stream) == ["before", "after"]
    assert "Logging error" in capsys.readouterr().err
