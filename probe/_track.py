"""``@probe.track``: every call of a function is one unit of progress."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar, overload

from probe._settings import settings
from probe._stream import Stream, resettable

F = TypeVar("F", bound=Callable[..., Any])


@overload
def track(func: F, /) -> F: ...
@overload
def track(name: str | None = None, /, *, total: int | None = None) -> Callable[[F], F]: ...


def track(func: Any = None, /, *, name: str | None = None, total: int | None = None) -> Any:
    """Count every call of the decorated function on a stream.

    ``@probe.track`` names the stream after the function's qualified name;
    ``@probe.track("name")`` names it explicitly. The first call sends ``start``, calls
    accumulate into throttled ``progress`` events, a call that raises sends ``error`` and
    re-raises the same exception, and ``end`` is sent when the process exits.
    """
    if callable(func):
        return _decorate(func, name, total)
    return lambda f: _decorate(f, func or name, total)


def _decorate(func: F, name: str | None, total: int | None) -> F:
    if not settings.enabled:
        return func
    stream = resettable(Stream(name or func.__qualname__, total))

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if stream.pending:
            stream.start()
        try:
            result = func(*args, **kwargs)
        except BaseException as exc:
            stream.fail(stream.n, exc, final=False)
            raise
        n = stream.n = stream.n + 1
        if n >= stream.next_check:
            stream.next_check = stream.checkpoint(n)
        return result

    wrapper.__hotprobe_stream__ = stream  # type: ignore[attr-defined]
    return wrapper  # type: ignore[return-value]
