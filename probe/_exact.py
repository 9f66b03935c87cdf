"""A ``track`` wrapper written for one function's own positional signature.

``def wrapper(*args, **kwargs)`` costs about twice as much per call as ``def wrapper(x, y)``:
CPython packs a tuple and a dict for every call and unpacks them again. For a plain function
whose parameters are all positional (with or without defaults), ``exact_wrapper`` compiles a
wrapper with the same parameters and the same body as ``_track.call_wrapper``, and passes the
function's own default objects through. Anything else (``*args``, ``**kwargs``, keyword-only
parameters, builtins, callable objects) gets ``None``, and ``track`` uses the generic wrapper.
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
    def wrapper({parameters}):
        if _hotprobe_stream.n >= _hotprobe_stream._next_check:
            _hotprobe_stream._next_check = _hotprobe_stream.checkpoint()
        try:
            _hotprobe_result = _hotprobe_func({arguments})
        except BaseException as _hotprobe_exc:
            _hotprobe_stream.fail(_hotprobe_exc, final=False)
            raise
        _hotprobe_stream.n += 1{complete}
        return _hotprobe_result

    return wrapper
"""
# With a total, the call that reaches it ends the stream (one comparison more per call).
_COMPLETE = """
        if _hotprobe_stream.n >= _hotprobe_stream.total:
            _hotprobe_stream.complete()"""
_NOT_POSITIONAL = inspect.CO_VARARGS | inspect.CO_VARKEYWORDS


def exact_wrapper(func: Callable[..., Any], stream: Stream) -> Callable[..., Any] | None:
    """A wrapper taking exactly ``func``'s positional parameters, or None if it has others."""
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
    source = _TEMPLATE.format(
        parameters=", ".join(parameters),
        arguments=", ".join(names),
        complete=_COMPLETE if stream.total is not None else "",
    )
    namespace: dict[str, Any] = {}
    exec(compile(source, f"<hotprobe wrapper of {func.__qualname__}>", "exec"), namespace)
    return namespace["_hotprobe_factory"](func, stream, defaults)
