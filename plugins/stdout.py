"""``stdout`` and ``stderr``: kept events as JSON lines on standard output (or error).

On a terminal, where a person reads them, the characters JSON allows raw but a terminal obeys
(C1 controls, DEL, bidirectional controls) are written as ``\\uXXXX`` escapes, which every
JSON reader decodes to the same text (``collector.text.inert_json``); into a pipe or a file
the bytes are orjson's, unchanged."""

from __future__ import annotations

import sys
from typing import Any

import orjson

from collector import Sink, SinkSpec, hookimpl
from collector.text import inert_json


class StdoutSink(Sink):
    """One JSON object per line; each batch is one write of whole lines, then a flush."""

    def __init__(self, spec: SinkSpec) -> None:
        super().__init__(spec)
        self.stream = sys.stdout
        self.to_terminal = self.stream.isatty()

    def write(self, events: list[dict[str, Any]]) -> None:
        data = b"".join(orjson.dumps(event, default=str) + b"\n" for event in events)
        if self.to_terminal:
            data = inert_json(data)
        buffer = getattr(self.stream, "buffer", None)
        if buffer is not None:
            self.stream.flush()
            buffer.write(data)
            buffer.flush()
        else:
            self.stream.write(data.decode())
            self.stream.flush()

    def flush(self) -> None:
        self.stream.flush()


class StderrSink(StdoutSink):
    """``stdout``'s JSON lines on standard error (``hotprobe run``'s default off a terminal,
    which leaves standard output to the command)."""

    def __init__(self, spec: SinkSpec) -> None:
        super().__init__(spec)
        self.stream = sys.stderr
        self.to_terminal = self.stream.isatty()


@hookimpl
def register_sinks(register):
    register(
        "stdout",
        StdoutSink,
        description="JSON lines on standard output",
    )
    register("stderr", StderrSink, description="JSON lines on standard error")
