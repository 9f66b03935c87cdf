"""``stdout``: kept events as JSON lines on standard output.

A person may be reading them on a terminal: the characters JSON allows raw but a terminal
obeys (C1 controls, DEL, bidirectional controls) are written as ``\\uXXXX`` escapes, which
every JSON reader decodes to the same text (``collector.text.inert_json``)."""

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

    def write(self, events: list[dict[str, Any]]) -> None:
        data = inert_json(b"".join(orjson.dumps(event, default=str) + b"\n" for event in events))
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


@hookimpl
def register_sinks(register):
    register(
        "stdout",
        StdoutSink,
        description="JSON lines on standard output",
    )
