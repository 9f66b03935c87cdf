"""The plugin manager: built-in sinks and installed plugins, registered the same way."""

from __future__ import annotations

import importlib
import logging
import os
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import Any

import pluggy

from collector import hookspecs
from collector.sinks import SinkFactory, SinkType

log = logging.getLogger("collector")

ENTRY_POINT_GROUP = "hotprobe"
BUILTIN_PLUGINS = ("plugins.stdout", "plugins.file", "plugins.live")


class UnknownSink(LookupError):
    """A ``--sink`` scheme that no plugin registered."""


@dataclass
class Registry:
    """The plugin manager plus what its plugins registered, and what failed to load."""

    pm: pluggy.PluginManager
    sink_types: dict[str, SinkType] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)

    def sink_type(self, scheme: str) -> SinkType:
        try:
            return self.sink_types[scheme]
        except KeyError:
            known = ", ".join(sorted(self.sink_types)) or "none"
            raise UnknownSink(f"unknown sink scheme {scheme!r} (known: {known})") from None


def _wanted_entry_points() -> set[str] | None:
    """``HOTPROBE_PLUGINS``: unset = all installed; ``none`` = built-ins only; else a list."""
    value = os.environ.get("HOTPROBE_PLUGINS")
    if value is None or value.strip() == "":
        return None
    if value.strip().lower() == "none":
        return set()
    return {name.strip() for name in value.split(",") if name.strip()}


def load(extra_plugins: tuple[Any, ...] = ()) -> Registry:
    """Build the plugin manager: built-ins, then installed entry points, then ``extra_plugins``.

    A plugin that fails to import or to register is reported once and left out."""
    pm = pluggy.PluginManager(ENTRY_POINT_GROUP)
    pm.add_hookspecs(hookspecs)
    registry = Registry(pm)
    distributions: dict[str, str] = {}
    for module_name in BUILTIN_PLUGINS:
        pm.register(importlib.import_module(module_name), name=module_name)
        distributions[module_name] = "hotprobe"
    wanted = _wanted_entry_points()
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if wanted is not None and ep.name not in wanted:
            continue
        dist = ep.dist.name if ep.dist is not None else "?"
        try:
            pm.register(ep.load(), name=ep.name)
        except Exception as exc:
            _fail(registry, f"plugin {ep.name!r} ({dist}) failed to load: {exc!r}")
            continue
        distributions[ep.name] = dist
    for plugin in extra_plugins:
        pm.register(plugin)
    _collect_sinks(registry, distributions)
    return registry


def _collect_sinks(registry: Registry, distributions: dict[str, str]) -> None:
    for impl in registry.pm.hook.register_sinks.get_hookimpls():
        plugin = impl.plugin_name

        def register(
            scheme: str,
            factory: SinkFactory,
            description: str = "",
            options: dict[str, str] | None = None,
            *,
            _plugin: str = plugin,
        ) -> None:
            registry.sink_types[scheme.lower()] = SinkType(
                scheme.lower(),
                factory,
                description,
                dict(options or {}),
                _plugin,
                distributions.get(_plugin, ""),
            )

        try:
            impl.function(register)
        except Exception as exc:
            _fail(registry, f"plugin {plugin!r} failed in register_sinks: {exc!r}")


def _fail(registry: Registry, message: str) -> None:
    registry.failures.append(message)
    log.error("%s", message)
