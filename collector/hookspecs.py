"""The hooks a hotprobe plugin can implement. Mark implementations with ``collector.hookimpl``.

The collector calls each plugin's implementation itself, in pluggy's order (``tryfirst``
first, ``trylast`` last, otherwise the plugin registered last first) and one at a time, so
that one plugin raising never stops another's hook from running. A plugin with a wrapper
(``wrapper=True`` or ``hookwrapper=True``) on these hooks is refused when it loads.
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
    sinks``), before any sink exists. Call once per sink::

        register(scheme, factory, description="...", options=[Option(...), ...],
                 target="PATH", passthrough=None)

    ``options`` declares each ``?name=value`` the sink takes (``collector.Option``: name,
    help, converter, default); ``target`` names what follows ``scheme:``, or is ``None`` for
    a sink that takes none. The collector checks a ``--sink`` value against this before the
    factory runs: an unknown option, a bad value or an unwanted target stops it with the
    closest valid name. ``factory(spec)`` gets a ``collector.SinkSpec`` with the options
    converted and must return a ``collector.Sink``; a ``ValueError`` from it is reported as
    a bad ``--sink``. The delivery options every sink takes (``batch_size``, ``max_delay``,
    ...) are the collector's: they are not yours to declare, and they are never among
    ``spec.options``. If two plugins register one scheme, the one registered first keeps it.
    """


@hookspec
def process_event(event: dict[str, Any]) -> bool | None:
    """Enrich or drop an event, after the interval filter kept it and before any sink sees it.

    Called once per kept event, in the receive loop, with the event's JSON-ready dict: keep it
    quick and never block. Change ``event`` in place to enrich it (the change reaches every
    sink); return ``False`` to drop it (counted as ``dropped_by_plugin``). An exception is
    reported once, naming the plugin, and the event goes on unchanged.
    """
