"""The counting paths that threads share, for CPython without the GIL (3.13t and later).

Under the GIL, ``stream.n += 1`` has no switch point between its load and its store, so
``track``'s wrappers and ``Progress.update`` count exactly from any number of threads, with no
lock. Without the GIL the same line loses counts, and two threads may both see the total
reached. Where ``_stream.FREE_THREADED`` is true (every stream then has a lock), ``track``
counts through ``check``, ``add_unit`` and ``fail`` below and ``progress`` returns a
``LockedProgress``: the same steps, each made under the stream's lock; the tracked function
itself runs outside it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from probe._progress import Progress
from probe._stream import Stream


def check(stream: Stream) -> None:
    """``Stream.check`` under the stream's lock."""
    with stream._lock:
        stream.check()


def add_unit(stream: Stream) -> None:
    """``Stream.add_unit`` under the stream's lock."""
    with stream._lock:
        stream.add_unit()


def fail(stream: Stream, exc: BaseException) -> None:
    """``Stream.fail`` (the stream goes on) under the stream's lock."""
    with stream._lock:
        stream.fail(exc, final=False)


def call_wrapper(func: Callable[..., Any], stream: Stream) -> Callable[..., Any]:
    """``_track.call_wrapper`` (with or without a total) counting under the stream's lock:
    one locked section per call, after it; the first call of a span (``start`` not yet
    sent) checks before it too, so that ``start`` still precedes the function's work."""

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if stream._pending:
            check(stream)
        try:
            result = func(*args, **kwargs)
        except BaseException as exc:
            fail(stream, exc)
            raise
        add_unit(stream)
        return result

    return wrapper


class LockedProgress(Progress):
    """``Progress`` whose ``update`` counts under the stream's lock."""

    __slots__ = ()

    def update(self, k: int = 1, **fields: object) -> None:
        """Add ``k`` units done; ``fields`` (optional) travel in the next event's ``data``."""
        lock = self._lock
        lock.acquire()  # type: ignore[union-attr]
        try:
            n = self.n = self.n + k
            if fields:
                self._data = fields
            if n >= self._next_check:
                self._next_check = self.checkpoint()
        finally:
            lock.release()  # type: ignore[union-attr]
