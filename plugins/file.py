"""``file:PATH``: kept events appended to a JSON-lines file."""

from __future__ import annotations

import os
from typing import IO, Any

import orjson

from collector import Sink, SinkSpec, hookimpl


class FileSink(Sink):
    """Appends one JSON object per line. Each batch is one write followed by a flush, so lines
    never tear and nothing waits in a buffer for more than one batch delay."""

    def __init__(self, spec: SinkSpec) -> None:
        super().__init__(spec)
        if not spec.target:
            raise ValueError("file sink needs a path: file:PATH")
        self.path = os.path.expanduser(spec.target)
        self.fsync = spec.option("fsync", False, _flag)
        self._file: IO[bytes] | None = None

    def open(self) -> None:
        parent = os.path.dirname(os.path.abspath(self.path))
        os.makedirs(parent, exist_ok=True)
        self._file = open(self.path, "ab")  # noqa: SIM115 - closed in close()

    def write(self, events: list[dict[str, Any]]) -> None:
        assert self._file is not None, "open() was not called"
        self._file.write(b"".join(orjson.dumps(e) + b"\n" for e in events))
        self._file.flush()
        if self.fsync:
            os.fsync(self._file.fileno())

    def flush(self) -> None:
        if self._file is not None:
            self._file.flush()
            os.fsync(self._file.fileno())

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


def _flag(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ValueError("expected true or false")


@hookimpl
def register_sinks(register):
    register(
        "file",
        FileSink,
        description="JSON lines appended to a file",
        options={"fsync": "fsync after every batch (default false)"},
    )
