"""Appending whole records to a file, even when the disk fills up.

A full disk (``ENOSPC``), a quota or an I/O error can cut a write short: part of a record
reaches the file and the rest does not. Anything appended after that fragment would be glued
to it, and a retry of the same data would duplicate the part that went out. ``append_whole``
therefore truncates the file back to where it was before raising, so the file only ever holds
whole records and a retry starts clean. The same holds for a write that went out whole but
whose ``fsync`` failed: the data may or may not be on the disk, it is not counted written, and
its retry would append it a second time, so it is truncated away too. Used by the file sink,
the spool and the dead-letter file; a plugin that appends to files can use it too.
"""

from __future__ import annotations

import errno
import os


class TornTail(OSError):
    """A write was cut short and the file could not be truncated back: it ends in part of a
    record. Nothing may be appended to it until ``truncate_to`` succeeds."""


def append_whole(fd: int, data: bytes, size: int, sync: bool = False) -> None:
    """Append ``data`` to ``fd`` (opened with ``O_APPEND``), whose file holds ``size`` bytes
    of whole records, and with ``sync`` ``fsync`` it; or leave the file as it was.

    On any ``OSError`` part-way, the ``fsync``'s included, the file is truncated back to
    ``size`` and the error raised; if the truncation fails too, ``TornTail`` is raised
    instead."""
    view = memoryview(data)
    try:
        while view:
            written = os.write(fd, view)
            if written == 0:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            view = view[written:]
        if sync:
            os.fsync(fd)
    except OSError as exc:
        if len(view) < len(data):
            truncate_to(fd, size, exc)
        raise


def truncate_to(fd: int, size: int, cause: OSError | None = None) -> None:
    """Cut the file back to ``size`` bytes; raises ``TornTail`` if that is impossible."""
    try:
        os.ftruncate(fd, size)
    except OSError as exc:
        failure = cause or exc
        raise TornTail(
            failure.errno, f"{failure.strerror}; and it cannot be truncated back: {exc.strerror}"
        ) from exc
