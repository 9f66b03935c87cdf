"""``stdout``: kept events as JSON lines on standard output."""

from __future__ import annotations

import sys
from typing import Any

import orjson

from collector import Sink, SinkSpec, hookimpl


class StdoutSink(Sink):
    """One JSON object per line; each batch is one write of whole lines, then a flush."""

    def __init__(self, spec: SinkSpec) -> None:
        super().__init__(spec)
        self.stream = sys.stdout

    def write(self, events: list[dict[str, Any]]) -> None:
        data = b"".join(orjson.dumps(event, default=str) + b"\n" for event in events)
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


@hookimpl
def register_sinks(register):
    register(
        "stdout",
        StdoutSink,
        description="JSON lines on standard output",
    )
    register("stderr", StderrSink, description="JSON lines on standard error")
