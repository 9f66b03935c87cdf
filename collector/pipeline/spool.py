"""A sink's disk spool: batches of events appended crash-safely, read back oldest first.

One directory per sink holds numbered segment files. A record is a 12-byte header (payload
length, CRC-32 of the payload, event count, little-endian) and the batch as a JSON array.
Appends are written and fsynced before they count; a record cut short by a crash (a torn
tail) or failing its checksum ends its segment and is reported, never replayed as garbage. An
append cut short by a full disk is truncated away before the error is raised, so nothing is
ever appended behind part of a record (a segment that cannot be truncated takes no more).
The spool is bounded: when it would grow past ``max_bytes`` the oldest segments go, and the
events in them are counted as lost. Not thread-safe: the owner serializes every call.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import os
import re
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from collector.appendfile import TornTail, append_whole
from collector.redact import redacted

log = logging.getLogger("collector")

_HEADER = struct.Struct("<III")
_SUFFIX = ".spool"
_CURSOR_SIZE = 64
_FIRST_ID = 10**12  # room below for batches put back in front of the queue
_USERINFO = re.compile(r"//[^/@]*@")


class SpoolUnavailable(ValueError):
    """The spool directory cannot be used: in use by another collector, or not writable."""


def spool_directory(root: str | os.PathLike[str], sink_text: str) -> Path:
    """The stable directory for a sink spec: a readable stem plus a hash of the whole spec
    (the name is made from the ``redacted`` spec, less its user name and options)."""
    digest = hashlib.sha256(sink_text.encode()).hexdigest()[:12]
    readable = _USERINFO.sub("//", redacted(sink_text).partition("?")[0])
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", readable).strip("_.")[:48] or "sink"
    return Path(root) / f"{stem}-{digest}"


@dataclass
class _Segment:
    id: int
    path: Path
    size: int = 0  # bytes of whole records
    events: int = 0  # events in whole records
    read_offset: int = 0  # bytes already delivered
    read_events: int = 0

    @property
    def unread_events(self) -> int:
        return self.events - self.read_events


class Spool:
    """The spooled batches of one sink, in delivery order."""

    def __init__(
        self, directory: str | os.PathLike[str], max_bytes: int, segment_bytes: int | None = None
    ) -> None:
        self.directory = Path(directory)
        self.max_bytes = max_bytes
        self.segment_bytes = segment_bytes or max(64 << 10, min(8 << 20, max_bytes // 16))
        self._segments: list[_Segment] = []
        self._active: _Segment | None = None  # the segment appends go to
        self._active_fd: int | None = None
        self._unsynced = False  # appended to the active segment without fsync
        self._head: tuple[_Segment, int, list[dict[str, Any]]] | None = None
        self.lost = 0  # events dropped to stay within bounds, or found damaged
        self._lock_fd = self._lock()
        self._cursor_fd = os.open(
            self.directory / "cursor", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644
        )
        self._cursor_failed = False
        self._reserve_cursor()
        self._scan()

    # -- state ---------------------------------------------------------------------------
    @property
    def events(self) -> int:
        """Events waiting in the spool."""
        return sum(segment.unread_events for segment in self._segments)

    @property
    def bytes(self) -> int:
        return sum(segment.size - segment.read_offset for segment in self._segments)

    # -- writing -------------------------------------------------------------------------
    def append(self, batches: list[list[dict[str, Any]]], sync: bool = True) -> None:
        """Add batches at the back, durably (one fsync; with ``sync=False`` the fsync waits
        for the segment to fill or the spool to close: a crash of the process loses nothing,
        a crash of the machine may). The oldest events go if the bound is hit (``lost``)."""
        records = [_record(batch) for batch in batches if batch]
        if not records:
            return
        size = sum(len(record) for record in records)
        self._make_room(size)
        if self._active is not None and self._active.size >= self.segment_bytes:
            self._close_active()
        if self._active is None:
            segment = self._new_segment(self._segments[-1].id + 1 if self._segments else None)
            self._active_fd = _open_append(segment.path)
            self._active = segment
            self._segments.append(segment)
        active, fd = self._active, self._active_fd
        assert fd is not None
        try:
            append_whole(fd, b"".join(records), active.size, sync)  # not kept: not counted
        except OSError as exc:
            if not active.size:
                self._remove(active)
            elif isinstance(exc, TornTail) or os.fstat(fd).st_size != active.size:
                self._close_active()  # it ends in part of a record: appends go to a new one
            raise
        self._unsynced = not sync
        active.size += size
        active.events += sum(len(batch) for batch in batches)

    def prepend(self, batch: list[dict[str, Any]]) -> None:
        """Put one batch in front of everything spooled (a batch that was taken from memory
        and could not be written), durably."""
        record = _record(batch)
        self._make_room(len(record))
        segment = self._new_segment(self._segments[0].id - 1 if self._segments else None)
        fd = _open_append(segment.path)
        try:
            append_whole(fd, record, 0)
            os.fsync(fd)
        except OSError:
            with contextlib.suppress(OSError):  # a later prepend reuses the name
                segment.path.unlink()
            raise
        finally:
            os.close(fd)
        segment.size, segment.events = len(record), len(batch)
        self._segments.insert(0, segment)
        self._head = None

    # -- reading -------------------------------------------------------------------------
    def head(self) -> list[dict[str, Any]] | None:
        """The oldest spooled batch (left in place until ``pop_head``), or None if empty."""
        while self._segments:
            segment = self._segments[0]
            if self._head is not None and self._head[0] is segment:
                return self._head[2]
            if segment.read_offset >= segment.size:
                self._remove(segment)
                continue
            batch, length = self._read(segment)
            if batch is None:
                unread = segment.unread_events
                log.error(
                    "spool %s: %s is damaged after byte %d; its %d remaining events are lost",
                    self.directory,
                    segment.path.name,
                    segment.read_offset,
                    unread,
                )
                self.lost += unread
                self._remove(segment)
                continue
            self._head = (segment, length, batch)
            return batch
        return None

    def pop_head(self) -> None:
        """The batch ``head`` returned was delivered: forget it."""
        if self._head is None:
            return
        segment, length, batch = self._head
        self._head = None
        segment.read_offset += length
        segment.read_events += len(batch)
        if segment.read_offset >= segment.size and segment in self._segments:
            self._remove(segment)
        else:  # where the next run starts reading (a process crash keeps it; a power cut may not)
            cursor = f"{segment.id} {segment.read_offset} {segment.read_events}\n"
            self._write_cursor(cursor.ljust(_CURSOR_SIZE).encode())

    def close(self) -> None:
        """Release the directory; remove it if nothing is left in it."""
        self._close_active()
        empty = not self._segments
        if empty:
            for name in ("cursor", "lock"):
                with contextlib.suppress(OSError):
                    (self.directory / name).unlink()
        else:
            os.fsync(self._cursor_fd)
        os.close(self._cursor_fd)
        os.close(self._lock_fd)
        if empty:
            for directory in (self.directory, self.directory.parent):
                with contextlib.suppress(OSError):
                    directory.rmdir()

    # -- internals -----------------------------------------------------------------------
    def _reserve_cursor(self) -> None:
        """Give the cursor file its bytes now, so that moving it never needs free space."""
        if os.fstat(self._cursor_fd).st_size < _CURSOR_SIZE:
            self._write_cursor(b" " * (_CURSOR_SIZE - 1) + b"\n")

    def _write_cursor(self, cursor: bytes) -> None:
        """Overwrite the cursor in place. If that fails, delivery goes on (the spool in
        memory is right); a restart before it succeeds may replay delivered batches."""
        try:
            os.pwrite(self._cursor_fd, cursor, 0)
        except OSError as exc:
            if not self._cursor_failed:
                log.error(
                    "spool %s: cannot move the replay cursor (%s); if the collector restarts "
                    "now, batches already delivered are delivered again",
                    self.directory,
                    exc.strerror or exc,
                )
            self._cursor_failed = True
        else:
            self._cursor_failed = False

    def _lock(self) -> int:
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.directory / "lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except OSError as exc:
            raise SpoolUnavailable(f"spool directory {self.directory}: {exc}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            raise SpoolUnavailable(
                f"spool directory {self.directory} is in use by another collector; "
                "give each collector its own --spool-dir"
            ) from None
        return fd

    def _scan(self) -> None:
        """Find what a previous collector left: whole records only (torn tails are ignored)."""
        for path in sorted(self.directory.glob(f"*{_SUFFIX}")):
            try:
                segment_id = int(path.name[: -len(_SUFFIX)])
            except ValueError:
                continue
            segment = _Segment(segment_id, path)
            with path.open("rb") as file:
                total = os.fstat(file.fileno()).st_size
                while segment.size + _HEADER.size <= total:
                    file.seek(segment.size)
                    length, _, count = _HEADER.unpack(file.read(_HEADER.size))
                    end = segment.size + _HEADER.size + length
                    if end > total:
                        break
                    segment.size, segment.events = end, segment.events + count
            if segment.size < total:
                log.warning(
                    "spool %s: ignoring a torn record of %d bytes at the end of %s",
                    self.directory,
                    total - segment.size,
                    path.name,
                )
            if segment.events:
                self._segments.append(segment)
            else:
                path.unlink()
        self._apply_cursor()
        if self._segments:
            log.warning(
                "spool %s: %d events left by a previous run will be delivered first",
                self.directory,
                self.events,
            )

    def _apply_cursor(self) -> None:
        """Skip what the previous run delivered from its first segment."""
        try:
            segment_id, offset, events = map(int, os.pread(self._cursor_fd, 64, 0).split())
        except ValueError:
            return
        for segment in self._segments:
            if segment.id == segment_id and offset <= segment.size and events <= segment.events:
                segment.read_offset, segment.read_events = offset, events

    def _new_segment(self, segment_id: int | None) -> _Segment:
        segment_id = _FIRST_ID if segment_id is None else segment_id
        segment = _Segment(segment_id, self.directory / f"{segment_id:016d}{_SUFFIX}")
        return segment

    def _make_room(self, incoming: int) -> None:
        lost = 0
        while self._segments and self.bytes + incoming > self.max_bytes:
            oldest = self._segments[0]
            lost += oldest.unread_events
            self._remove(oldest)
        if lost:
            log.error(
                "spool %s is full (%d bytes): dropped the %d oldest spooled events",
                self.directory,
                self.max_bytes,
                lost,
            )
            self.lost += lost

    def _read(self, segment: _Segment) -> tuple[list[dict[str, Any]] | None, int]:
        with segment.path.open("rb") as file:
            file.seek(segment.read_offset)
            header = file.read(_HEADER.size)
            if len(header) < _HEADER.size:
                return None, 0
            length, checksum, _ = _HEADER.unpack(header)
            payload = file.read(length)
        if len(payload) < length or zlib.crc32(payload) != checksum:
            return None, 0
        try:
            return orjson.loads(payload), _HEADER.size + length
        except orjson.JSONDecodeError:
            return None, 0

    def _remove(self, segment: _Segment) -> None:
        if segment is self._active:
            self._close_active()
        self._segments.remove(segment)
        if self._head is not None and self._head[0] is segment:
            self._head = None
        with contextlib.suppress(FileNotFoundError):
            segment.path.unlink()

    def _close_active(self) -> None:
        if self._active_fd is not None:
            if self._unsynced:
                os.fsync(self._active_fd)
                self._unsynced = False
            os.close(self._active_fd)
        self._active, self._active_fd = None, None


def _record(batch: list[dict[str, Any]]) -> bytes:
    payload = orjson.dumps(batch, default=str)
    return _HEADER.pack(len(payload), zlib.crc32(payload), len(batch)) + payload


def _open_append(path: Path) -> int:
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o644)
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)  # the new file's name survives a crash too
    finally:
        os.close(directory)
    return fd
