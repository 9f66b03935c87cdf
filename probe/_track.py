"""``@probe.track``: every call of a function is one unit of progress.

Every wrapper compares the stream's counter with ``next_check`` *before* the call: a new
stream's ``next_check`` is 0, so the first call sends ``start`` before the function runs, and
no separate "started yet?" test sits on the hot path.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any, TypeVar, overload

from probe import _locked, _settings
from probe._exact import exact_wrapper
from probe._stream import FREE_THREADED, Stream, resettable

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
    re-raises the same exception. With a ``total``, ``end`` is sent by the call that reaches
    it (and a further call starts the stream again, from 0: one stream per epoch, say);
    without one, when the process exits. For a generator function (``def`` or ``async def``)
    every yielded item is a unit; for an ``async def`` function every completed call. The
    events' ``unit`` is ``call`` (``item`` for generator functions): a stream of calls that
    has gone quiet is shown ``idle``, not ``stalled``.
    Metadata and signature are kept (``functools.wraps``).
    """
    if callable(func) or isinstance(func, (staticmethod, classmethod)):
        return _decorate(func, name, total)
    return lambda f: _decorate(f, func or name, total)


def _decorate(func: Any, name: str | None, total: int | None) -> Any:
    if not _settings.settings.enabled:
        return func
    if isinstance(func, (staticmethod, classmethod)):
        return type(func)(_decorate(func.__func__, name, total))
    generator = inspect.isgeneratorfunction(func) or inspect.isasyncgenfunction(func)
    stream_name = name or getattr(func, "__qualname__", repr(func))
    stream = resettable(Stream(stream_name, total, unit="item" if generator else "call"))
    if inspect.isgeneratorfunction(func):
        wrapper = generator_wrapper(func, stream, FREE_THREADED)
    elif inspect.isasyncgenfunction(func):
        wrapper = async_generator_wrapper(func, stream, FREE_THREADED)
    elif inspect.iscoroutinefunction(func):
        wrapper = async_wrapper(func, stream, FREE_THREADED)
    elif FREE_THREADED:
        wrapper = exact_wrapper(func, stream, locked=True) or _locked.call_wrapper(func, stream)
    else:
        wrapper = exact_wrapper(func, stream) or call_wrapper(func, stream)
    functools.update_wrapper(wrapper, func)
    wrapper.__hotprobe_stream__ = stream  # type: ignore[attr-defined]
    return wrapper


def call_wrapper(func: Callable[..., Any], stream: Stream) -> Callable[..., Any]:
    """One call, one unit: the generic form of ``_exact``'s template."""
    if stream.total is not None:
        return _call_wrapper_to_total(func, stream, stream.total)

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if stream.n >= stream._next_check:
            stream._next_check = stream.checkpoint()
        try:
            result = func(*args, **kwargs)
        except BaseException as exc:
            stream.fail(exc, final=False)
            raise
        stream.n += 1
        return result

    return wrapper


def _call_wrapper_to_total(
    func: Callable[..., Any], stream: Stream, total: int | float
) -> Callable[..., Any]:
    """``call_wrapper`` whose call number ``total`` ends the stream."""

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if stream.n >= stream._next_check:
            stream._next_check = stream.checkpoint()
        try:
            result = func(*args, **kwargs)
        except BaseException as exc:
            stream.fail(exc, final=False)
            raise
        stream.n += 1
        if stream.n >= total:
            stream.complete()
        return result

    return wrapper


def generator_wrapper(func: Callable[..., Any], stream: Stream, locked: bool) -> Callable[..., Any]:
    """One yielded item, one unit; ``send``, ``throw`` and ``close`` reach the generator.
    ``locked``: count through ``_locked`` (CPython without the GIL)."""

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        generator = func(*args, **kwargs)
        if locked:
            _locked.check(stream)
        elif stream.n >= stream._next_check:
            stream._next_check = stream.checkpoint()
        resume, value = generator.send, None
        while True:
            try:
                item = resume(value)
            except StopIteration as stop:
                return stop.value
            except BaseException as exc:
                _fail(stream, exc, locked)
                raise
            if locked:
                _locked.add_unit(stream)
            else:
                stream.n += 1
                if stream.n >= stream._next_check:
                    stream._next_check = stream.checkpoint()
                if total is not None and stream.n >= total:
                    stream.complete()
            try:
                value = yield item
                resume = generator.send
            except GeneratorExit:
                generator.close()
                raise
            except BaseException as exc:  # thrown in by the consumer: the generator decides
                resume, value = generator.throw, exc

    total = stream.total
    return wrapper


def async_wrapper(func: Callable[..., Any], stream: Stream, locked: bool) -> Callable[..., Any]:
    """One completed call (awaited to its end), one unit."""

    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        if locked:
            _locked.check(stream)
        elif stream.n >= stream._next_check:
            stream._next_check = stream.checkpoint()
        try:
            result = await func(*args, **kwargs)
        except BaseException as exc:
            _fail(stream, exc, locked)
            raise
        if locked:
            _locked.add_unit(stream)
        else:
            stream.n += 1
            if total is not None and stream.n >= total:
                stream.complete()
        return result

    total = stream.total
    return wrapper


def async_generator_wrapper(
    func: Callable[..., Any], stream: Stream, locked: bool
) -> Callable[..., Any]:
    """``generator_wrapper`` for ``async def`` generators: ``asend``, ``athrow``, ``aclose``."""

    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        generator = func(*args, **kwargs)
        if locked:
            _locked.check(stream)
        elif stream.n >= stream._next_check:
            stream._next_check = stream.checkpoint()
        resume, value = generator.asend, None
        while True:
            try:
                item = await resume(value)
            except StopAsyncIteration:
                return
            except BaseException as exc:
                _fail(stream, exc, locked)
                raise
            if locked:
                _locked.add_unit(stream)
            else:
                stream.n += 1
                if stream.n >= stream._next_check:
                    stream._next_check = stream.checkpoint()
                if total is not None and stream.n >= total:
                    stream.complete()
            try:
                value = yield item
                resume = generator.asend
            except GeneratorExit:
                await generator.aclose()
                raise
            except BaseException as exc:
                resume, value = generator.athrow, exc

    total = stream.total
    return wrapper


def _fail(stream: Stream, exc: BaseException, locked: bool) -> None:
    """Send ``error`` for a call or item that raised; the stream goes on."""
    if locked:
        _locked.fail(stream, exc)
    else:
        stream.fail(exc, final=False)
