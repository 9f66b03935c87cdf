"""``stdout``: kept events as JSON lines on standard output."""

from __future__ import annotations

import sys
from typing import Any

import orjson

from collector import Sink, SinkSpec, hookimpl


class StdoutSink(Sink):
    """One JSON object per line, flushed after every batch."""

    def __init__(self, spec: SinkSpec) -> None:
        super().__init__(spec)
        self.stream = sys.stdout

    def write(self, events: list[dict[str, Any]]) -> None:
        self.stream.write("".join(orjson.dumps(e).decode() + "\n" for e in events))
        self.stream.flush()

    def flush(self) -> None:
        self.stream.flush()


@hookimpl
def register_sinks(register):
    register("stdout", StdoutSink, description="JSON lines on standard output")
