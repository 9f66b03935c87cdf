"""The dead-letter file: every rejected message, with the reason and its bytes in base64, and
every event a sink refused for good, with the sink's name and the reason."""

from __future__ import annotations

import base64
import contextlib
import logging
import os
import threading
from datetime import datetime, timezone
from typing import Any

import orjson

from collector.appendfile import TornTail, append_whole, truncate_to
from collector.pipeline.event import Rejected

log = logging.getLogger("collector")

DEFAULT_MAX_BYTES = 64 << 20
DEFAULT_BACKUPS = 1


class DeadLetters:
    """Appends rejected messages as JSON lines; the file is created on the first one.

    The file is bounded like the file sink's: when the next record would take it past
    ``max_bytes``, ``PATH`` becomes ``PATH.1`` (``PATH.1`` becomes ``PATH.2``, ..., keeping
    ``backups`` files; with ``backups=0`` the full file is removed), so the records on disk
    take at most ``(backups + 1) * max_bytes`` (a record larger than ``max_bytes`` gets a
    file of its own). The records in a file removed that way are counted in ``dropped``.

    Records are whole: a write cut short (a full disk) is truncated away. A record that
    cannot be written is counted in ``failures`` and the collector goes on; the first failure
    of a spell is logged, and so is the recovery. The receive loop and every sink's worker
    may write at once: one record at a time goes in."""

    def __init__(
        self, path: str, max_bytes: int = DEFAULT_MAX_BYTES, backups: int = DEFAULT_BACKUPS
    ) -> None:
        if max_bytes < 1 or backups < 0:
            raise ValueError("dead letters need max_bytes >= 1 and backups >= 0")
        self.path = path
        self.max_bytes = max_bytes
        self.backups = backups
        self.failures = 0  # records not written
        self.dropped = 0  # records removed by the size bound
        self._fd: int | None = None
        self._size = 0  # bytes of whole records in the file
        self._failing = False
        self._lock = threading.Lock()

    def write(self, rejected: Rejected) -> None:
        record = {
            "rejected_at": datetime.now(timezone.utc).isoformat(timespec="microseconds"),
            "reason": rejected.reason,
            "raw_base64": base64.b64encode(rejected.raw).decode("ascii"),
        }
        line = orjson.dumps(record) + b"\n"
        with self._lock:
            try:
                self._append(line)
            except OSError as exc:
                self.failures += 1
                if not self._failing:
                    self._failing = True
                    log.error(
                        "cannot write the dead-letter file %s: %s; rejected messages are counted "
                        "in dead_letter_failures until it can be written",
                        self.path,
                        exc.strerror or exc,
                    )
                return
            if self._failing:
                self._failing = False
                log.warning("the dead-letter file %s is written again", self.path)

    def write_refused(self, sink: str, event: dict[str, Any], reason: str) -> None:
        """An event that the sink named ``sink`` refused for good, as JSON (the reason names
        the sink: ``sink 'file:out.jsonl' refused it: ...``)."""
        self.write(Rejected(f"sink {sink!r} refused it: {reason}", _encoded(event)))

    def close(self) -> None:
        with self._lock:
            self._close()

    def _close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def _append(self, line: bytes) -> None:
        if self._fd is None:
            self._open()
        if self._size and self._size + len(line) > self.max_bytes:
            self._rotate()
        assert self._fd is not None
        try:
            append_whole(self._fd, line, self._size)
        except TornTail:
            self._close()  # reopened, and cut back to its whole records, for the next one
            raise
        self._size += len(line)

    def _open(self) -> None:
        fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            self._size = _whole_size(fd)
            if self._size != os.fstat(fd).st_size:
                truncate_to(fd, self._size)  # a record torn by a crash, or by a full disk
        except OSError:
            os.close(fd)
            raise
        self._fd = fd

    def _rotate(self) -> None:
        self._close()
        oldest = f"{self.path}.{self.backups}" if self.backups else self.path
        with contextlib.suppress(FileNotFoundError):
            lines = _count_lines(oldest)
            os.remove(oldest)
            if not self.dropped:
                log.warning(
                    "dead-letter file %s: removed %s (%d records) to stay within %d bytes per "
                    "file and %d backups; such records are counted in dead_letters_dropped",
                    self.path,
                    oldest,
                    lines,
                    self.max_bytes,
                    self.backups,
                )
            self.dropped += lines
        for index in range(self.backups - 1, 0, -1):
            with contextlib.suppress(FileNotFoundError):
                os.replace(f"{self.path}.{index}", f"{self.path}.{index + 1}")
        if self.backups:
            os.replace(self.path, f"{self.path}.1")
        self._open()


def _whole_size(fd: int) -> int:
    """The size of the file up to and including its last newline."""
    size = os.fstat(fd).st_size
    position = size
    while position > 0:
        start = max(0, position - (64 << 10))
        chunk = os.pread(fd, position - start, start)
        newline = chunk.rfind(b"\n")
        if newline >= 0:
            return start + newline + 1
        position = start
    return 0


def _count_lines(path: str) -> int:
    lines = 0
    with open(path, "rb") as file:
        for chunk in iter(lambda: file.read(1 << 20), b""):
            lines += chunk.count(b"\n")
    return lines


def _encoded(event: dict[str, Any]) -> bytes:
    """The event as JSON; one that JSON cannot hold is named by the reason it cannot."""
    try:
        return orjson.dumps(event, default=str)
    except (TypeError, RecursionError) as exc:
        return orjson.dumps({"unencodable_event": repr(exc)})
