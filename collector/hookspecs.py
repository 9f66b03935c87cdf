"""The hooks a hotprobe plugin can implement. Mark implementations with ``collector.hookimpl``.

The collector calls each plugin's implementation itself, one plugin at a time, so that one
plugin raising never stops another's hook from running.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pluggy

hookspec = pluggy.HookspecMarker("hotprobe")
hookimpl = pluggy.HookimplMarker("hotprobe")


@hookspec
def register_sinks(register: Callable[..., None]) -> None:
    """Register sink factories by scheme.

    Called once per process, when the plugins are loaded (``hotprobe collect``, ``hotprobe
    sinks``), before any sink exists. Call ``register(scheme, factory, description="...",
    options={"name": "help"})`` once per sink. For ``--sink scheme:target?name=value`` the
    collector calls ``factory(spec)`` with a ``collector.SinkSpec`` and expects a
    ``collector.Sink``; a ``ValueError`` from the factory is reported as a bad ``--sink``.
    The delivery options every sink takes (``batch_size``, ``max_delay``, ...) are listed
    with yours and taken out of the spec before the factory sees it.
    """


@hookspec
def process_event(event: dict[str, Any]) -> bool | None:
    """Enrich or drop an event, after the interval filter kept it and before any sink sees it.

    Called once per kept event, in the receive loop, with the event's JSON-ready dict: keep it
    quick and never block. Change ``event`` in place to enrich it (the change reaches every
    sink); return ``False`` to drop it (counted as ``dropped_by_plugin``). An exception is
    reported once, naming the plugin, and the event goes on unchanged.
    """
