"""A ``track`` wrapper written for one function's own positional signature.

``def wrapper(*args, **kwargs)`` costs about twice as much per call as ``def wrapper(x, y)``:
CPython packs a tuple and a dict for every call and unpacks them again. For a plain function
whose parameters are all positional (with or without defaults), ``exact_wrapper`` compiles a
wrapper with the same parameters and the same body as ``_track.call_wrapper`` (without the GIL,
``_locked.call_wrapper``'s), and passes the function's own default objects through. Anything
else (``*args``, ``**kwargs``, keyword-only parameters, builtins, callable objects) gets
``None``, and ``track`` uses the generic wrapper.
"""

from __future__ import annotations

import inspect
import types
from collections.abc import Callable
from typing import Any

from probe._stream import Stream

_PREFIX = "_hotprobe_"
_TEMPLATE = """
def _hotprobe_factory(_hotprobe_func, _hotprobe_stream, _hotprobe_defaults):
    _hotprobe_lock = _hotprobe_stream._lock
    def wrapper({parameters}):
{before}
        try:
            _hotprobe_result = _hotprobe_func({arguments})
        except BaseException as _hotprobe_exc:
            {fail}
            raise
{after}
        return _hotprobe_result

    return wrapper
"""
# Under the GIL: check, call, count (and with a total, the call that reaches it ends the
# stream: one comparison more per call).
_CHECK = """
        if _hotprobe_stream.n >= _hotprobe_stream._next_check:
            _hotprobe_stream._next_check = _hotprobe_stream.checkpoint()"""
_COUNT = """
        _hotprobe_stream.n += 1"""
_COMPLETE = """
        if _hotprobe_stream.n >= _hotprobe_stream.total:
            _hotprobe_stream.complete()"""
# Without the GIL (``_locked``): the count and its checks in one locked section after the
# call; only a span's first call checks before it, so that ``start`` precedes its work.
_LOCKED_CHECK = """
        if _hotprobe_stream._pending:
            with _hotprobe_lock:
                _hotprobe_stream.check()"""
_LOCKED_COUNT = """
        _hotprobe_lock.acquire()
        try:
            _hotprobe_n = _hotprobe_stream.n = _hotprobe_stream.n + 1
            if _hotprobe_n >= _hotprobe_stream._next_check:
                _hotprobe_stream._next_check = _hotprobe_stream.checkpoint(){complete}
        finally:
            _hotprobe_lock.release()"""
_LOCKED_COMPLETE = """
            if _hotprobe_n >= _hotprobe_stream.total:
                _hotprobe_stream.complete()"""
_FAIL = "_hotprobe_stream.fail(_hotprobe_exc, final=False)"
_LOCKED_FAIL = """with _hotprobe_lock:
                _hotprobe_stream.fail(_hotprobe_exc, final=False)"""
_NOT_POSITIONAL = inspect.CO_VARARGS | inspect.CO_VARKEYWORDS


def exact_wrapper(
    func: Callable[..., Any], stream: Stream, locked: bool = False
) -> Callable[..., Any] | None:
    """A wrapper taking exactly ``func``'s positional parameters, or None if it has others;
    ``locked``: its count is made under the stream's lock (CPython without the GIL)."""
    if not isinstance(func, types.FunctionType):
        return None
    code = func.__code__
    if code.co_kwonlyargcount or code.co_flags & _NOT_POSITIONAL:
        return None
    names = list(code.co_varnames[: code.co_argcount])
    if any(name.startswith(_PREFIX) for name in names):
        return None
    defaults = func.__defaults__ or ()
    parameters = list(names)
    first_default = len(names) - len(defaults)
    for index in range(len(defaults)):
        parameters[first_default + index] += f"=_hotprobe_defaults[{index}]"
    if code.co_posonlyargcount:
        parameters.insert(code.co_posonlyargcount, "/")
    with_total = stream.total is not None
    if locked:
        before = _LOCKED_CHECK
        after = _LOCKED_COUNT.format(complete=_LOCKED_COMPLETE if with_total else "")
    else:
        before, after = _CHECK, _COUNT + (_COMPLETE if with_total else "")
    source = _TEMPLATE.format(
        parameters=", ".join(parameters),
        arguments=", ".join(names),
        fail=_LOCKED_FAIL if locked else _FAIL,
        before=before.strip("\n"),
        after=after.strip("\n"),
    )
    namespace: dict[str, Any] = {}
    exec(compile(source, f"<hotprobe wrapper of {func.__qualname__}>", "exec"), namespace)
    return namespace["_hotprobe_factory"](func, stream, defaults)
