"""tqdm, bridged: every tqdm bar is also a hotprobe stream.

tqdm draws a bar through ``refresh()``, and only once per ``mininterval``: its ``__iter__``
counts in a local variable and calls ``update()`` -> ``refresh()`` -> ``display()`` when that
interval has passed. The bridge hooks ``refresh`` and the calls that begin and end a bar
(``__init__``, ``reset``, ``close``, ``__enter__``/``__exit__``, ``set_postfix``), never an
iteration: a bridged bar costs what tqdm costs. ``patch_tqdm`` puts the hooks on
``tqdm.std.tqdm``, the class every tqdm bar derives from (``tqdm.auto``, ``tqdm.notebook``,
``tqdm.asyncio``, ``tqdm.rich``, the bars of ``tqdm.contrib`` and ``tqdm.pandas``, and any
library's own); ``probe.tqdm`` is a subclass that has them without patching anything.

A bar's stream is named by its ``desc``, else by the code that made it (the first caller
outside tqdm). It sends ``start`` when the bar is made, throttled ``progress`` as the bar is
redrawn, ``end`` when it is closed, and ``error`` when an exception is known to have ended it:
the iterable raised inside tqdm's loop, the bar was closed while that exception propagated
(``finally: bar.close()``), or a ``with`` block around it raised. A ``for`` loop left by an
exception in its own body closes tqdm's generator exactly as ``break`` does, so that alone
reads as an early ``end`` (``n`` below ``total``), unless a ``with`` block tells more.
"""

from __future__ import annotations

import functools
import os
import sys
import weakref
from collections.abc import Callable, Mapping
from numbers import Number
from typing import Any

from tqdm.std import tqdm as std_tqdm

from probe._iterate import caller_name
from probe._settings import settings
from probe._stream import Stream, transport

__all__ = ["patch_tqdm", "tqdm", "trange", "unpatch_tqdm"]

TQDM_DIR = os.path.dirname(sys.modules[std_tqdm.__module__].__file__ or "") + os.sep
BRIDGE_FILE = __file__
_FRAME_BOUNDARY = 0x20 | 0x80 | 0x200  # CO_GENERATOR | CO_COROUTINE | CO_ASYNC_GENERATOR
_NORMAL_ENDS = (GeneratorExit, StopIteration, StopAsyncIteration)

_streams: weakref.WeakKeyDictionary[std_tqdm, BarStream] = weakref.WeakKeyDictionary()
_originals: dict[str, Any] = {}  # the methods patch_tqdm replaced, while it is in force


class BarStream(Stream):
    """The stream of one tqdm bar: it reads ``n`` and ``total`` from the bar it follows."""

    __slots__ = ("bar", "ended", "exit_error", "in_with")

    def __init__(self, bar: std_tqdm, name: str, fields: dict[str, Any]) -> None:
        super().__init__(name, bar.total, fields, unit=str(bar.unit))
        self.bar = weakref.ref(bar)
        self.in_with = False
        self.ended = False
        self.exit_error: BaseException | None = None

    @property
    def fields(self) -> dict[str, Any]:
        """The ``data`` of the stream's events: the bar's unit and postfix values."""
        return self._data or {}

    @fields.setter
    def fields(self, fields: dict[str, Any]) -> None:
        self._data = fields

    @property
    def started(self) -> bool:
        """Whether ``start`` has been sent."""
        return not self._pending

    def sync(self) -> None:
        """Take the bar's count and total."""
        bar = self.bar()
        if bar is not None:
            self.n, self.total = bar.n, bar.total

    def report(self) -> None:
        """The bar was redrawn: send ``progress`` if the probe's interval has passed."""
        self.sync()
        self.checkpoint()

    def finish(self) -> None:
        """Send ``end`` with the bar's latest count (also when the process exits first)."""
        self.sync()
        self.ended = True
        super().finish()

    def fail(self, exc: BaseException, *, final: bool = True) -> None:
        """Send ``error`` describing ``exc``, with the bar's latest count."""
        self.sync()
        self.ended = self.ended or final
        super().fail(exc, final=final)


def _stream_name(bar: std_tqdm, depth: int) -> str:
    """``desc``, else the name of the first frame above ``depth`` that is neither tqdm's
    nor this module's (so ``process_map``'s bar is named after the line that called it)."""
    desc = str(bar.desc or "").strip().removesuffix(":").strip()
    if desc:
        return desc
    frame = sys._getframe(depth)
    while frame.f_back is not None and (
        frame.f_code.co_filename.startswith(TQDM_DIR) or frame.f_code.co_filename == BRIDGE_FILE
    ):
        frame = frame.f_back
        depth += 1
    return caller_name(depth + 1)


def _fields(bar: std_tqdm, values: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The stream's data: the bar's unit and its postfix values (numbers and text kept as
    they are, anything else as the text tqdm shows for it)."""
    fields: dict[str, Any] = {"unit": bar.unit}
    for key, value in (values or {}).items():
        keep = value is None or isinstance(value, (str, Number))
        fields[str(key)] = value if keep else str(value)
    return fields


def _open(bar: std_tqdm, postfix: Any) -> None:
    if not settings.enabled or getattr(bar, "disable", True):
        return
    values = postfix if isinstance(postfix, Mapping) else None
    stream = BarStream(bar, _stream_name(bar, 3), _fields(bar, values))
    _streams[bar] = stream
    stream.sync()
    stream.start()


def _error_ending(caller: Any) -> BaseException | None:
    """The exception that is ending the bar, if one is known to: it propagates through the
    frame that closes the bar, or through tqdm's own frames between it and the nearest loop.

    An exception being handled further out (the bar closed inside someone's ``except``
    block, after a normal end) stops at a generator, a ``__exit__`` or foreign code."""
    exc = sys.exc_info()[1]
    if exc is None or isinstance(exc, _NORMAL_ENDS) or exc.__traceback__ is None:
        return None
    head = exc.__traceback__.tb_frame
    frame = caller
    while frame is not None:
        if frame is head:
            return exc
        code = frame.f_code
        if (
            code.co_flags & _FRAME_BOUNDARY
            or code.co_name == "__exit__"
            or not code.co_filename.startswith(TQDM_DIR)
        ):
            return None
        frame = frame.f_back
    return None


def _closing(bar: std_tqdm, stream: BarStream, caller: Any) -> None:
    """The bar is being closed: send ``end`` or ``error``, or leave it to ``__exit__``."""
    error = stream.exit_error or _error_ending(caller)
    if error is None and stream.in_with and isinstance(sys.exc_info()[1], GeneratorExit):
        return  # a loop inside ``with`` stopped early: its ``__exit__`` knows why
    _streams.pop(bar, None)
    if stream.ended:  # the process's exit ended it already
        return
    if error is None:
        stream.finish()
    else:
        stream.fail(error)


# -- the hooks: each wraps one of tqdm's methods; the bridge's own work never raises -------------
def _bridge_failed(exc: Exception) -> None:
    transport.warn_once(f"tqdm bridge: {exc!r}")


def _stream_of(bar: std_tqdm) -> BarStream | None:
    """The bar's stream, if it has one; None also late in the interpreter's shutdown, when a
    bar's ``__del__`` may run after this module's globals are gone."""
    try:
        return _streams.get(bar)
    except Exception:
        return None


def _bound_call(method: Any, self: std_tqdm, *args: Any, **kwargs: Any) -> Any:
    return method.__get__(self, type(self))(*args, **kwargs)


def _hook_init(method: Any) -> Callable[..., None]:
    # tqdm's __init__ is a ``partialmethod`` (its TQDM_* environment defaults): a descriptor
    original = functools.partial(_bound_call, method) if not callable(method) else method

    @functools.wraps(getattr(method, "func", method))
    def __init__(self: std_tqdm, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        try:
            if self not in _streams:  # a subclass's __init__ calls ours through super()
                _open(self, kwargs.get("postfix"))
        except Exception as exc:
            _bridge_failed(exc)

    return __init__


def _hook_refresh(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def refresh(self: std_tqdm, *args: Any, **kwargs: Any) -> Any:
        shown = original(self, *args, **kwargs)
        try:
            stream = _streams.get(self)
            if stream is not None:
                stream.report()
        except Exception as exc:
            _bridge_failed(exc)
        return shown

    return refresh


def _hook_close(original: Callable[[std_tqdm], None]) -> Callable[[std_tqdm], None]:
    @functools.wraps(original)
    def close(self: std_tqdm) -> None:
        stream = _stream_of(self)
        if stream is None:
            return original(self)
        caller = sys._getframe(1)
        try:
            return original(self)
        finally:
            try:
                _closing(self, stream, caller)
            except Exception as exc:
                _bridge_failed(exc)
            del caller

    return close


def _hook_reset(original: Callable[..., None]) -> Callable[..., None]:
    @functools.wraps(original)
    def reset(self: std_tqdm, total: int | float | None = None) -> None:
        stream = _streams.get(self)
        if stream is None or not self.n:
            return original(self, total)
        fresh = None
        try:  # a reset bar starts again: a new span of the same stream
            stream.finish()
            fresh = _streams[self] = BarStream(self, stream.name, stream.fields)
            fresh.in_with = stream.in_with
        except Exception as exc:
            _bridge_failed(exc)
        original(self, total)
        try:
            if fresh is not None and not fresh.started:
                fresh.sync()
                fresh.start()
        except Exception as exc:
            _bridge_failed(exc)

    return reset


def _hook_enter(original: Callable[[std_tqdm], std_tqdm]) -> Callable[[std_tqdm], std_tqdm]:
    @functools.wraps(original)
    def __enter__(self: std_tqdm) -> std_tqdm:
        stream = _stream_of(self)
        if stream is not None:
            stream.in_with = True
        return original(self)

    return __enter__


def _hook_exit(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def __exit__(self: std_tqdm, exc_type: Any, exc_value: Any, traceback: Any) -> Any:
        stream = _stream_of(self)
        if stream is not None:
            stream.in_with = False
            stream.exit_error = exc_value
        try:
            return original(self, exc_type, exc_value, traceback)
        finally:
            try:
                stream = _streams.get(self)
                if stream is not None:  # its end was left to us, or close() failed
                    _closing(self, stream, None)
            except Exception as exc:
                _bridge_failed(exc)

    return __exit__


def _hook_set_postfix(original: Callable[..., None]) -> Callable[..., None]:
    @functools.wraps(original)
    def set_postfix(
        self: std_tqdm, ordered_dict: Mapping[str, Any] | None = None, refresh: bool = True, **kw
    ) -> None:
        try:
            stream = _streams.get(self)
            if stream is not None:  # tqdm's order: the mapping, then the keywords sorted
                values = dict(ordered_dict or {})
                values.update(sorted(kw.items()))
                stream.fields = _fields(self, values)
        except Exception as exc:
            _bridge_failed(exc)
        return original(self, ordered_dict, refresh, **kw)

    return set_postfix


def _hook_set_postfix_str(original: Callable[..., None]) -> Callable[..., None]:
    @functools.wraps(original)
    def set_postfix_str(self: std_tqdm, s: Any = "", refresh: bool = True) -> None:
        try:
            stream = _streams.get(self)
            if stream is not None:
                stream.fields = _fields(self, {"postfix": str(s)})
        except Exception as exc:
            _bridge_failed(exc)
        return original(self, s, refresh)

    return set_postfix_str


HOOKS: dict[str, Callable[[Any], Any]] = {
    "__init__": _hook_init,
    "refresh": _hook_refresh,
    "close": _hook_close,
    "reset": _hook_reset,
    "__enter__": _hook_enter,
    "__exit__": _hook_exit,
    "set_postfix": _hook_set_postfix,
    "set_postfix_str": _hook_set_postfix_str,
}
_UNPATCHED = {name: std_tqdm.__dict__[name] for name in HOOKS}


def patch_tqdm() -> None:
    """Make every tqdm bar of this process a stream, from now on (also bars of classes
    imported before the call). A second call does nothing."""
    if _originals:
        return
    for name, hook in HOOKS.items():
        original = std_tqdm.__dict__[name]
        _originals[name] = original
        setattr(std_tqdm, name, hook(original))


def unpatch_tqdm() -> None:
    """Undo ``patch_tqdm``. Bars already open stay streams until they end (at the latest
    when the process exits); new bars are plain tqdm bars."""
    while _originals:
        name, original = _originals.popitem()
        setattr(std_tqdm, name, original)


def is_patched() -> bool:
    """Whether ``patch_tqdm`` is in force."""
    return bool(_originals)


tqdm = type(
    "tqdm",
    (std_tqdm,),
    {
        "__module__": __name__,
        "__qualname__": "tqdm",
        "__doc__": "``tqdm.tqdm``, whose bar is also a hotprobe stream (see ``probe.tqdm``).",
        **{name: hook(_UNPATCHED[name]) for name, hook in HOOKS.items()},
    },
)


def trange(*args: Any, **kwargs: Any) -> Any:
    """``probe.tqdm(range(*args), **kwargs)``, as ``tqdm.trange``."""
    return tqdm(range(*args), **kwargs)


def _forget_parent_bars() -> None:
    _streams.clear()  # a forked child's copies of its parent's bars are the parent's streams


os.register_at_fork(after_in_child=_forget_parent_bars)

_startup_hook = sys.modules.get("_hotprobe_startup")
if _startup_hook is not None and _startup_hook.requested():
    patch_tqdm()  # HOTPROBE_TQDM=1, and this module was what first imported tqdm
