"""``probe.iterate``: tqdm's wrapper, with a counter-first hot loop."""

from __future__ import annotations

import sys
import weakref
from collections.abc import Iterable, Iterator
from typing import TypeVar

from probe import _settings
from probe._stream import Stream

T = TypeVar("T")


def caller_name(depth: int = 2) -> str:
    """A default stream name: the calling function's qualified name and line."""
    try:
        frame = sys._getframe(depth)
    except ValueError:
        return "<probe>"
    code = frame.f_code
    return f"{getattr(code, 'co_qualname', code.co_name)}:{frame.f_lineno}"


def iterate(
    iterable: Iterable[T], name: str | None = None, total: int | None = None, **fields: object
) -> Iterable[T]:
    """Yield the items of ``iterable``, reporting each as one unit of progress on ``name``.

    ``total`` defaults to ``len(iterable)`` when it has one. ``fields`` travel in ``data``.
    With the probe disabled, the iterable itself is returned: no overhead at all.
    """
    if not _settings.settings.enabled:
        return iterable
    if total is None:
        try:
            total = len(iterable)  # type: ignore[arg-type]
        except Exception:
            total = None
    stream = Stream(name or caller_name(), total, fields)
    counted = _counted(iterable, stream)
    stream._owner = weakref.ref(counted)  # so that an exit can end it with its exact count
    return counted


def _counted(iterable: Iterable[T], stream: Stream) -> Iterator[T]:
    stream.start()
    n = 0
    next_check = 1
    try:
        for item in iterable:
            yield item
            n += 1
            if n >= next_check:
                stream.n = n
                next_check = stream.checkpoint()
    except GeneratorExit:  # the loop stopped early (break, or the consumer raised)
        stream.n = n
        stream.finish()
        raise
    except BaseException as exc:  # the iterable itself raised
        stream.n = n
        stream.fail(exc)
        raise
    stream.n = n
    stream.finish()
