"""hotprobe's probe: progress events from hot loops, sent without ever stalling the host.

    import probe

    @probe.track
    def step(x): ...

    for x in probe.iterate(data, "load"): ...

    with probe.progress("solve", total=n) as p:
        p.update()

    probe.emit("checkpoint", loss=0.1)

    for x in probe.tqdm(data, desc="load"): ...   # tqdm's bar, also a stream
    probe.patch_tqdm()                            # every tqdm bar, also a stream

Events go to ``tcp://127.0.0.1:5556`` (``HOTPROBE_ENDPOINT``); ``HOTPROBE_DISABLE=1`` turns
every call into a no-op. The probe never imports the collector; they share the wire protocol.
"""

from __future__ import annotations

import atexit as _atexit
import os as _os
from dataclasses import replace as _replace
from typing import Any as _Any

from probe import _exit, _settings, _stream
from probe._iterate import caller_name as _caller_name
from probe._iterate import iterate
from probe._locked import LockedProgress as _LockedProgress
from probe._marks import MarkStreams as _MarkStreams
from probe._progress import DisabledProgress as _DisabledProgress
from probe._progress import Progress
from probe._stream import FREE_THREADED as _FREE_THREADED
from probe._stream import transport as _transport
from probe._track import track

__all__ = [
    "Progress",
    "configure",
    "emit",
    "flush",
    "iterate",
    "patch_tqdm",
    "progress",
    "stats",
    "track",
    "unpatch_tqdm",
]
_TQDM_NAMES = ("tqdm", "trange")  # lazy: ``import probe`` never imports tqdm

_marks = _MarkStreams()


def progress(
    name: str | None = None, total: int | float | None = None, *, unit: str = "it", **fields: _Any
) -> Progress:
    """A context manager: ``start`` on enter, throttled ``progress`` on ``update``, ``end``
    on a normal exit, ``error`` (and the exception re-raised) when the block raises.
    ``unit`` names what is counted (tqdm's ``unit``); ``fields`` travel in ``data``."""
    if not _settings.settings.enabled:
        kind: type[Progress] = _DisabledProgress
    else:
        kind = _LockedProgress if _FREE_THREADED else Progress
    return kind(name or _caller_name(), total, fields, unit)


def emit(name: str, **fields: _Any) -> None:
    """Send one ``mark`` event on stream ``name`` now, unthrottled, with ``fields`` as data.

    Its ``n`` counts the marks of ``name``; the probe keeps that count for the 4096 names
    used most recently (a name unused for longer starts again at 1)."""
    _marks.mark(name, fields)


def configure(
    *,
    endpoint: str | None = None,
    fan_in: str | None = None,
    socket: str | None = None,
    min_interval: float | None = None,
    enabled: bool | None = None,
    run: str | None = None,
    exit_timeout: float | None = None,
    server_key: str | _os.PathLike | None = None,
    client_key: str | _os.PathLike | None = None,
    labels: dict[str, _Any] | None = None,
) -> None:
    """Change where and how often events are sent. Arguments left as None keep their value.

        ``endpoint`` is the collector's PAIR endpoint; ``fan_in`` its PUSH/PULL endpoint (default:
        the next port); ``socket`` is ``"auto"`` (PAIR for the first process on this machine,
        fan-in for the others), ``"pair"`` or ``"push"``; ``min_interval`` is the least time in
        seconds between two ``progress`` events of a stream; ``run`` names this job (a ``str``;
    anything else is converted with ``str()``);
        ``exit_timeout`` bounds, in seconds, how long the process's exit waits for unsent events
        (and how long a send waits for another thread's use of the socket). ``server_key`` (the
        collector's public key, as 40 z85 characters or a ``.key`` file) turns on CURVE encryption;
        ``client_key`` is this client's ``.key_secret`` file, which the collector must allow.
        ``labels`` (replacing ``HOTPROBE_LABELS=k=v,k=v``) are your own names for this run, sent
        in its ``run`` event; setting them or ``run`` makes this process send that event (again,
        if it had), before its next one. ``run`` and ``labels`` are also written to
        ``HOTPROBE_RUN`` and ``HOTPROBE_LABELS`` (as a JSON object) in ``os.environ``, so that
        processes started after the call (``subprocess``, ``multiprocessing`` spawn, and fork)
        join the new run; a ``multiprocessing`` forkserver already running keeps the old ones.
        Raises ``ValueError`` for a bad ``socket`` or an unusable key or key file, a client key
        file its group or others may read included (from ``HOTPROBE_CLIENT_KEY``, such a file is
        logged once and nothing is sent, as for any unusable key).

        The new settings replace the old ones as a whole: a thread sending meanwhile uses either.
    """
    changes = {
        key: value
        for key, value in {
            "endpoint": endpoint,
            "fan_in": fan_in,
            "socket": socket,
            "min_interval": min_interval,
            "enabled": enabled,
            "run": None if run is None else str(run),
            "exit_timeout": exit_timeout,
            "server_key": server_key,
            "client_key": client_key,
            "labels": dict(labels) if labels is not None else None,
        }.items()
        if value is not None
    }
    if "socket" in changes and changes["socket"] not in _settings.SOCKET_KINDS:
        raise ValueError(f"socket must be one of {_settings.SOCKET_KINDS}, not {socket!r}")
    new = _replace(_settings.settings, **changes)
    if new.server_key and ("server_key" in changes or "client_key" in changes):
        from probe._curve import client_keys

        client_keys(new.server_key, new.client_key)  # a bad key file raises here, not later
    _transport.reconfigure(new)
    _settings.settings = new  # one reference, swapped at once
    if "labels" in changes or "run" in changes:
        problem = _settings.share_with_children(new, set(changes))
        if problem:
            _transport.warn_once(problem)
        _stream.describe_run_again()


def flush(timeout: float | None = None) -> bool:
    """Wait until every queued event has been handed to a peer, at most ``timeout`` seconds
    (default: ``exit_timeout``). Returns True if none waits any more."""
    wait = _settings.settings.exit_timeout if timeout is None else timeout
    return _transport.flush(wait)


def stats() -> dict[str, _Any]:
    """Counters of this process's probe.

    ``sent``: events handed to a peer whose handshake succeeded (ZeroMQ queues nothing for a
    peer that is not there); ``queued``: events waiting in this process for one; ``dropped``:
    events given up (the queue was full, or they were still queued at exit), in total and
    since the last event sent (which reports them in its ``dropped`` field); ``connected``:
    a peer is there now; ``handshake_failures``: peers refused (CURVE keys that do not match);
    ``endpoint`` and ``socket``: where events go, and how."""
    return {
        "sent": _transport.sent,
        "queued": _transport.queued,
        "dropped": _transport.dropped_total,
        "dropped_since_last_send": _transport.dropped_since_last_send,
        "connected": _transport.connected,
        "handshake_failures": _transport.handshake_failures,
        "endpoint": _transport.endpoint,
        "socket": _transport.kind,
        "open_streams": len(_stream._open_streams),
        "enabled": _settings.settings.enabled,
    }


def patch_tqdm() -> None:
    """Make every tqdm bar in this process a stream too: bars of ``tqdm``, ``tqdm.auto``,
    ``tqdm.notebook``, ``tqdm.asyncio``, ``tqdm.rich``, ``tqdm.contrib`` and ``tqdm.pandas``,
    in your code and in the libraries it calls, including classes imported before the call.
    What tqdm draws is unchanged. Raises ImportError when tqdm is not installed."""
    _tqdm_bridge().patch_tqdm()


def unpatch_tqdm() -> None:
    """Undo ``patch_tqdm``: new bars are plain tqdm bars again."""
    _tqdm_bridge().unpatch_tqdm()


def _tqdm_bridge() -> _Any:
    try:
        from probe import _tqdm
    except ModuleNotFoundError as exc:
        if not (exc.name or "").startswith("tqdm"):
            raise
        raise ImportError(
            "probe.tqdm, probe.trange and probe.patch_tqdm need the tqdm package: pip install tqdm"
        ) from exc
    return _tqdm


def __getattr__(name: str) -> _Any:
    """``probe.tqdm`` and ``probe.trange``: tqdm's, with the bar also a stream."""
    if name in _TQDM_NAMES:
        value = globals()[name] = getattr(_tqdm_bridge(), name)
        return value
    raise AttributeError(f"module 'probe' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_TQDM_NAMES])


_transport.on_open = _exit.install_worker_hooks
_atexit.register(_exit.shutdown)
