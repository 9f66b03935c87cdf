"""``probe.iterate``: tqdm's wrapper, with a counter-first hot loop."""

from __future__ import annotations

import sys
import weakref
from collections.abc import Iterable, Iterator
from typing import TypeVar

from probe import _settings
from probe._stream import Stream

T = TypeVar("T")

#: tqdm's keywords that only concern drawing a bar: ``iterate`` draws none, so it refuses
#: them rather than carry them along as data.
BAR_ONLY_KEYWORDS = frozenset(
    {
        "leave",
        "position",
        "file",
        "ncols",
        "nrows",
        "maxinterval",
        "miniters",
        "ascii",
        "unit_scale",
        "unit_divisor",
        "dynamic_ncols",
        "smoothing",
        "bar_format",
        "initial",
        "postfix",
        "write_bytes",
        "lock_args",
        "colour",
        "delay",
        "gui",
    }
)


def caller_name(depth: int = 2) -> str:
    """A default stream name: the calling function's qualified name and line; code run in a
    Jupyter or IPython cell is named by the cell, as IPython shows it (``In[3]:1``)."""
    try:
        frame = sys._getframe(depth)
    except ValueError:
        return "<probe>"
    code = frame.f_code
    where = getattr(code, "co_qualname", code.co_name)
    if where == "<module>" and "IPython" in sys.modules:
        where = _cell_name(code.co_filename) or where
    return f"{where}:{frame.f_lineno}"


def _cell_name(filename: str) -> str | None:
    """``In[N]`` when ``filename`` is the code of an IPython cell, else None."""
    try:
        shell = sys.modules["IPython"].get_ipython()
        named = shell.compile.format_code_name(filename) if shell is not None else None
    except Exception:  # an IPython without this method, or no shell: the plain name
        return None
    return named[1] if named else None


def iterate(
    iterable: Iterable[T],
    name: str | None = None,
    total: int | None = None,
    *,
    desc: str | None = None,
    unit: str = "it",
    disable: bool | None = False,
    mininterval: float | None = None,
    **fields: object,
) -> Iterable[T]:
    """Yield the items of ``iterable``, reporting each as one unit of progress on ``name``.

    tqdm's keywords keep their meaning: ``desc`` is the name (give one or the other),
    ``total`` defaults to ``len(iterable)`` when it has one, ``unit`` is what an item is
    (``it``), ``disable=True`` returns the iterable itself, and ``mininterval`` is the least
    time in seconds between two ``progress`` events of this stream. Keywords that only
    concern a drawn bar (``leave``, ``position``, ``ncols``, ...) raise ``TypeError``; other
    ``fields`` travel in ``data``. With the probe disabled, the iterable itself is returned:
    no overhead at all.
    """
    refused = sorted(BAR_ONLY_KEYWORDS.intersection(fields))
    if refused:
        raise TypeError(
            f"probe.iterate() draws no bar, so tqdm's {', '.join(map(repr, refused))} "
            "means nothing here: drop it (desc, total, unit, disable and mininterval are "
            "accepted)"
        )
    if desc is not None and name is not None:
        raise TypeError("probe.iterate() takes a name or desc, not both")
    if not _settings.settings.enabled or disable:
        return iterable
    if total is None:
        try:
            total = len(iterable)  # type: ignore[arg-type]
        except Exception:
            total = None
    stream = Stream(name or desc or caller_name(), total, fields, unit, mininterval)
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
