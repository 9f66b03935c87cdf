"""The hooks a hotprobe plugin can implement. Mark implementations with ``collector.hookimpl``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pluggy

hookspec = pluggy.HookspecMarker("hotprobe")
hookimpl = pluggy.HookimplMarker("hotprobe")


@hookspec
def register_sinks(register: Callable[..., None]) -> None:
    """Register sink factories by scheme. Called once when the collector starts.

    Call ``register(scheme, factory, description="...", options={"name": "help"})`` once per
    sink. ``factory(spec)`` receives a ``collector.SinkSpec`` for ``--sink scheme:target?opt=v``
    and returns a ``collector.Sink``.
    """


@hookspec
def process_event(event: dict[str, Any]) -> bool | None:
    """Enrich or drop an event the filter kept, before any sink sees it.

    Called once per kept event, in the receive loop: keep it quick. Change ``event`` in place
    to enrich it; return ``False`` to drop it (counted as ``dropped_by_plugin``).
    """
