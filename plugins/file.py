"""``file:PATH``: kept events appended to a JSON-lines file, optionally rotated by size."""

from __future__ import annotations

import contextlib
import os
from typing import Any

import orjson

from collector import Option, Sink, SinkSpec, hookimpl
from collector.appendfile import TornTail, append_whole, truncate_to
from collector.options import choice, count_or_zero

OPTIONS = (
    Option(
        "fsync",
        "batch (after every batch), idle (after quiet spells and at close) or never",
        choice("batch", "idle", "never"),
        "idle",
    ),
    Option(
        "max_bytes",
        "rotate before the file would pass this size",
        count_or_zero,
        0,
        default_text="0: never",
    ),
    Option("backups", "rotated files kept as PATH.1 ... PATH.N", count_or_zero, 5),
)


class FileSink(Sink):
    """Appends one JSON object per line.

    Lines are whole: each batch goes out in ``write`` calls on an ``O_APPEND`` descriptor that
    end on a line boundary, and rotation only ever happens between lines, so a reader never
    sees half a line or two lines mixed, in the file or across rotated files. A line left
    torn by a crash of an earlier run is ended before the first new line is appended.

    A write that fails part-way (a full disk), or whose ``fsync`` fails (``fsync=batch``, or
    before a rotation), leaves the file as it was before the batch: what went out is truncated
    away, so the retry of the batch neither glues a fragment to a line nor writes a line
    twice. If the truncation fails too, the error says so (``TornTail``), the batch is not
    counted written, and the file is cut back before anything else is appended to it. If the
    batch had already filled a file that was then rotated, the lines in it are remembered and
    skipped when the same batch comes again.

    ``fsync``: ``batch`` (after every batch), ``idle`` (after a quiet spell and at close; the
    default) or ``never`` (leave it to the operating system). ``max_bytes`` and ``backups``
    rotate like ``logging.handlers.RotatingFileHandler``: when the next lines would take the
    file past ``max_bytes``, ``PATH`` becomes ``PATH.1`` (``PATH.1`` becomes ``PATH.2``, ...,
    keeping ``backups`` files; with ``backups=0`` the full file is removed).
    """

    def __init__(self, spec: SinkSpec) -> None:
        super().__init__(spec)
        if not spec.target:
            raise ValueError("file sink needs a path: file:PATH")
        self.path = os.path.expanduser(spec.target)
        self.fsync = spec.options["fsync"]
        self.max_bytes = spec.options["max_bytes"]
        self.backups = spec.options["backups"]
        self._fd: int | None = None
        self._size = 0  # bytes of whole lines in the file
        self._torn = False  # a failed write could not be truncated back to _size
        self._rotated_ahead: list[bytes] = []  # lines of a failed batch in rotated files

    def open(self) -> None:
        parent = os.path.dirname(os.path.abspath(self.path))
        os.makedirs(parent, exist_ok=True)
        self._open_file()

    def write(self, events: list[dict[str, Any]]) -> None:
        lines = [orjson.dumps(event, default=str) + b"\n" for event in events]
        skipped: list[bytes] = []
        if self._rotated_ahead:
            skipped, lines = self._skip_rotated_ahead(lines)
        sync = self.fsync == "batch"
        if not self.max_bytes:
            self._append(b"".join(lines), sync)
            return
        chunk: list[bytes] = []
        chunk_size = 0
        done = 0  # lines of this batch written to files that are rotated
        try:
            for index, line in enumerate(lines):
                if self._size + chunk_size + len(line) > self.max_bytes and (
                    self._size or chunk_size
                ):
                    if chunk:
                        self._append(b"".join(chunk), sync=self.fsync != "never")
                    elif self.fsync != "never":  # earlier batches' lines, before the rename
                        os.fsync(self._descriptor())
                    chunk, chunk_size = [], 0
                    done = index  # written and synced, in the file that is rotated now
                    self._rotate()
                chunk.append(line)
                chunk_size += len(line)
            self._append(b"".join(chunk), sync)
        except OSError:
            self._rotated_ahead = skipped + lines[:done]
            raise

    def flush(self) -> None:
        if self._fd is not None and self.fsync != "never":
            os.fsync(self._fd)

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def _open_file(self) -> None:
        flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC
        self._fd = os.open(self.path, flags, 0o644)
        self._size = os.fstat(self._fd).st_size
        if self._size and _last_byte(self.path) != b"\n":
            self._append(b"\n")

    def _descriptor(self) -> int:
        if self._fd is None:
            self._open_file()
        assert self._fd is not None
        return self._fd

    def _append(self, data: bytes, sync: bool = False) -> None:
        """One ``write`` of whole lines (looping only if the kernel takes part of it), then
        with ``sync`` an ``fsync``; on a failure of either, the file is cut back to where it
        was before the error is raised, so that the retry writes the lines once."""
        if not data:
            return
        fd = self._descriptor()
        if self._torn:
            truncate_to(fd, self._size)  # never a line behind part of one, nor twice
            self._torn = False
        try:
            append_whole(fd, data, self._size, sync)
        except TornTail:
            self._torn = True
            raise
        self._size += len(data)

    def _skip_rotated_ahead(self, lines: list[bytes]) -> tuple[list[bytes], list[bytes]]:
        """The lines a failed attempt at this batch left in rotated files, and the rest."""
        ahead, self._rotated_ahead = self._rotated_ahead, []
        if lines[: len(ahead)] == ahead:
            return ahead, lines[len(ahead) :]
        if ahead[: len(lines)] == lines:  # a part of the batch came first
            self._rotated_ahead = ahead[len(lines) :]
            return [], []
        return [], lines

    def _rotate(self) -> None:
        self.close()
        if self.backups == 0:
            with contextlib.suppress(FileNotFoundError):
                os.remove(self.path)
        else:
            for index in range(self.backups - 1, 0, -1):
                with contextlib.suppress(FileNotFoundError):
                    os.replace(f"{self.path}.{index}", f"{self.path}.{index + 1}")
            os.replace(self.path, f"{self.path}.1")
        self._open_file()


def _last_byte(path: str) -> bytes:
    with open(path, "rb") as file:
        file.seek(-1, os.SEEK_END)
        return file.read(1)


@hookimpl
def register_sinks(register):
    register(
        "file",
        FileSink,
        description="JSON lines appended to a file",
        options=OPTIONS,
        target="PATH",
    )
