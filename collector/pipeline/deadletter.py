"""The dead-letter file: every rejected message, with the reason and its bytes in base64, and
every event a sink refused for good, with the sink's name and the reason."""

from __future__ import annotations

import base64
import logging
from datetime import datetime, timezone
from typing import IO, Any

import orjson

from collector.pipeline.event import Rejected

log = logging.getLogger("collector")


class DeadLetters:
    """Appends rejected messages as JSON lines; the file is created on the first one.

    A file that cannot be written is reported once and counted in ``failures``; the
    collector goes on."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.failures = 0
        self._file: IO[bytes] | None = None

    def write(self, rejected: Rejected) -> None:
        record = {
            "rejected_at": datetime.now(timezone.utc).isoformat(timespec="microseconds"),
            "reason": rejected.reason,
            "raw_base64": base64.b64encode(rejected.raw).decode("ascii"),
        }
        try:
            if self._file is None:
                self._file = open(self.path, "ab")  # noqa: SIM115 - kept open until close()
            self._file.write(orjson.dumps(record) + b"\n")
            self._file.flush()
        except OSError as exc:
            self.failures += 1
            if self.failures == 1:
                log.error("cannot write the dead-letter file %s: %s", self.path, exc)

    def write_refused(self, sink: str, event: dict[str, Any], reason: str) -> None:
        """An event that the sink named ``sink`` refused for good, as JSON (the reason names
        the sink: ``sink 'file:out.jsonl' refused it: ...``)."""
        self.write(Rejected(f"sink {sink!r} refused it: {reason}", _encoded(event)))

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


def _encoded(event: dict[str, Any]) -> bytes:
    """The event as JSON; one that JSON cannot hold is named by the reason it cannot."""
    try:
        return orjson.dumps(event, default=str)
    except (TypeError, RecursionError) as exc:
        return orjson.dumps({"unencodable_event": repr(exc)})
