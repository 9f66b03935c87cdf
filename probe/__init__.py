"""hotprobe's probe: progress events from hot loops, sent without ever stalling the host.

    import probe

    @probe.track
    def step(x): ...

    for x in probe.iterate(data, "load"): ...

    with probe.progress("solve", total=n) as p:
        p.update()

    probe.emit("checkpoint", loss=0.1)

Events go to ``tcp://127.0.0.1:5556`` (``HOTPROBE_ENDPOINT``); ``HOTPROBE_DISABLE=1`` turns
every call into a no-op. The probe never imports the collector; they share the wire protocol.
"""

from __future__ import annotations

import atexit
import os
from dataclasses import replace
from typing import Any

from probe import _exit, _settings, _stream
from probe._iterate import caller_name, iterate
from probe._progress import DisabledProgress, Progress
from probe._stream import Stream, transport
from probe._track import track

__all__ = ["Progress", "configure", "emit", "iterate", "progress", "stats", "track"]

_marks: dict[str, Stream] = {}


def progress(
    name: str | None = None, total: int | float | None = None, *, unit: str = "it", **fields: Any
) -> Progress:
    """A context manager: ``start`` on enter, throttled ``progress`` on ``update``, ``end``
    on a normal exit, ``error`` (and the exception re-raised) when the block raises.
    ``unit`` names what is counted (tqdm's ``unit``); ``fields`` travel in ``data``."""
    kind = Progress if _settings.settings.enabled else DisabledProgress
    return kind(name or caller_name(), total, fields, unit)


def emit(name: str, **fields: Any) -> None:
    """Send one ``mark`` event on stream ``name`` now, unthrottled, with ``fields`` as data."""
    stream = _marks.get(name)
    if stream is None:
        stream = _marks[name] = _stream.resettable(Stream(name, unit=None))
    stream.mark(fields)


def configure(
    *,
    endpoint: str | None = None,
    fan_in: str | None = None,
    socket: str | None = None,
    min_interval: float | None = None,
    enabled: bool | None = None,
    run: str | None = None,
    exit_timeout: float | None = None,
    server_key: str | os.PathLike | None = None,
    client_key: str | os.PathLike | None = None,
    labels: dict[str, Any] | None = None,
) -> None:
    """Change where and how often events are sent. Arguments left as None keep their value.

    ``endpoint`` is the collector's PAIR endpoint; ``fan_in`` its PUSH/PULL endpoint (default:
    the next port); ``socket`` is ``"auto"`` (PAIR for the first process on this machine,
    fan-in for the others), ``"pair"`` or ``"push"``; ``min_interval`` is the least time in
    seconds between two ``progress`` events of a stream; ``run`` labels this job;
    ``exit_timeout`` bounds, in seconds, how long the process's exit waits for unsent events
    (and how long a send waits for another thread's use of the socket). ``server_key`` (the
    collector's public key, as 40 z85 characters or a ``.key`` file) turns on CURVE encryption;
    ``client_key`` is this client's ``.key_secret`` file, which the collector must allow.
    ``labels`` (replacing ``HOTPROBE_LABELS=k=v,k=v``) are your own names for this run, sent
    in its ``run`` event; setting them or ``run`` makes this process send that event (again,
    if it had), before its next one.
    Raises ``ValueError`` for a bad ``socket`` or an unusable key or key file.
    """
    changes = {
        key: value
        for key, value in {
            "endpoint": endpoint,
            "fan_in": fan_in,
            "socket": socket,
            "min_interval": min_interval,
            "enabled": enabled,
            "run": run,
            "exit_timeout": exit_timeout,
            "server_key": server_key,
            "client_key": client_key,
            "labels": dict(labels) if labels is not None else None,
        }.items()
        if value is not None
    }
    if "socket" in changes and changes["socket"] not in _settings.SOCKET_KINDS:
        raise ValueError(f"socket must be one of {_settings.SOCKET_KINDS}, not {socket!r}")
    new = replace(_settings.settings, **changes)
    if new.server_key and ("server_key" in changes or "client_key" in changes):
        from probe._curve import client_keys

        client_keys(new.server_key, new.client_key)  # a bad key file raises here, not later
    for key, value in vars(new).items():  # settings is shared by reference: update in place
        setattr(_settings.settings, key, value)
    transport.reconfigure(_settings.settings)
    if "labels" in changes or "run" in changes:
        _stream.describe_run_again()


def stats() -> dict[str, Any]:
    """Counters of this process's probe: events sent, dropped in total and since the last
    successful send, and where they go."""
    return {
        "sent": transport.sent,
        "dropped": transport.dropped_total,
        "dropped_since_last_send": transport.dropped,
        "endpoint": transport.endpoint,
        "socket": transport.kind,
        "open_streams": len(_stream._open_streams),
        "enabled": _settings.settings.enabled,
    }


transport.on_open = _exit.install_worker_hooks
atexit.register(_exit.shutdown)
