"""The plugin manager: built-in sinks and installed plugins, registered the same way."""

from __future__ import annotations

import importlib
import logging
import os
import re
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any

import pluggy

from collector import hookspecs
from collector.pipeline.delivery import DELIVERY_OPTIONS
from collector.redact import redacted, redacted_text
from collector.shadowing import check_own_packages
from collector.sinks import Sink, SinkFactory, SinkSpec, SinkType

log = logging.getLogger("collector")

ENTRY_POINT_GROUP = "hotprobe"
BUILTIN_PLUGINS = (
    "plugins.stdout",
    "plugins.file",
    "plugins.mongodb",
    "plugins.live",
    "plugins.web",
    "plugins.notify",
)
_SCHEME = re.compile(r"[a-z][a-z0-9+.-]*")


class UnknownSink(LookupError):
    """A ``--sink`` scheme that no plugin registered."""


class BrokenSinkFactory(RuntimeError):
    """A sink factory raised something other than ``ValueError``: a bug in its plugin."""


@dataclass
class Registry:
    """The plugin manager, the sink schemes its plugins registered, and what failed."""

    pm: pluggy.PluginManager
    sink_types: dict[str, SinkType] = field(default_factory=dict)
    #: plugin name -> "distribution version", for every plugin that loaded.
    distributions: dict[str, str] = field(default_factory=dict)
    #: One message per problem, each naming the plugin; already logged.
    failures: list[str] = field(default_factory=list)
    #: Plugins that failed to import or to register their sinks (their schemes may be missing).
    failed_plugins: list[str] = field(default_factory=list)

    def sink_type(self, scheme: str) -> SinkType:
        """The registered scheme; ``UnknownSink`` (one line saying what exists) otherwise."""
        try:
            return self.sink_types[scheme]
        except KeyError:
            known = ", ".join(sorted(self.sink_types)) or "none"
            message = f"unknown sink scheme {scheme!r} (known: {known})"
            if self.failed_plugins:
                message += f"; plugins that failed to load: {', '.join(self.failed_plugins)}"
            raise UnknownSink(message) from None

    def create_sink(self, text: str) -> Sink:
        """The plugin's sink for one ``--sink`` value (its runner's reports name the plugin:
        ``sink_type(scheme).origin``).

        Raises ``UnknownSink``, ``ValueError`` (a bad spec, the user's to fix) or
        ``BrokenSinkFactory`` (any other exception from the factory, the plugin's to fix)."""
        spec = SinkSpec.parse(text)
        sink_type = self.sink_type(spec.scheme)
        origin = sink_type.origin
        shown = redacted(text)  # a spec may hold a password: messages show it redacted
        try:
            sink = sink_type.factory(spec)
        except ValueError as exc:
            raise ValueError(f"--sink {shown!r}: {redacted_text(str(exc))}") from None
        except Exception as exc:
            raise BrokenSinkFactory(
                f"sink {shown!r} left out: {origin} raised {redacted_text(repr(exc))} creating it"
            ) from exc
        if not isinstance(sink, Sink):
            raise BrokenSinkFactory(
                f"sink {shown!r} left out: {origin} returned {type(sink).__name__}, not a Sink"
            )
        return sink


def wanted_plugins() -> set[str] | None:
    """``HOTPROBE_PLUGINS``: unset or empty = every installed plugin; ``none`` = built-ins only;
    otherwise the comma-separated entry-point names to load."""
    value = os.environ.get("HOTPROBE_PLUGINS", "").strip()
    if not value:
        return None
    if value.lower() == "none":
        return set()
    return {name.strip() for name in value.split(",") if name.strip()}


def load(extra_plugins: tuple[Any, ...] = ()) -> Registry:
    """Build the plugin manager: built-ins, then installed entry points, then ``extra_plugins``
    (objects or modules with hook implementations, as tests register them).

    A plugin that fails to import or to register is reported once, naming it, and left out.
    Raises ``ShadowedPackage`` when ``plugins`` or ``probe`` is not hotprobe's own."""
    check_own_packages()
    pm = pluggy.PluginManager(ENTRY_POINT_GROUP)
    pm.add_hookspecs(hookspecs)
    registry = Registry(pm)
    own = _own_distribution()
    for module_name in BUILTIN_PLUGINS:
        pm.register(importlib.import_module(module_name), name=module_name)
        registry.distributions[module_name] = own
    _load_entry_points(registry)
    for plugin in extra_plugins:
        if not pm.is_registered(plugin):  # an installed plugin that a test also passes
            name = pm.register(plugin, name=_in_process_name(pm, plugin))
            registry.distributions[name] = "registered in-process"
    _collect_sinks(registry)
    return registry


def _load_entry_points(registry: Registry) -> None:
    wanted = wanted_plugins()
    found = set()
    for ep in metadata.entry_points(group=ENTRY_POINT_GROUP):
        found.add(ep.name)
        if wanted is not None and ep.name not in wanted:
            continue
        dist = _distribution_label(ep.dist)
        if registry.pm.has_plugin(ep.name):
            message = f"plugin {ep.name!r} ({dist}) left out: name already taken"
            _fail(registry, ep.name, message)
            continue
        try:
            registry.pm.register(ep.load(), name=ep.name)
        except Exception as exc:
            _fail(registry, ep.name, f"plugin {ep.name!r} ({dist}) failed to load: {exc!r}")
            continue
        registry.distributions[ep.name] = dist
    for name in sorted((wanted or set()) - found):
        installed = ", ".join(sorted(found)) or "none"
        message = f"HOTPROBE_PLUGINS names {name!r}, not installed (installed: {installed})"
        _fail(registry, name, message)


def _collect_sinks(registry: Registry) -> None:
    for impl in registry.pm.hook.register_sinks.get_hookimpls():  # in registration order
        plugin = impl.plugin_name
        arguments = {"register": _Registrar(registry, plugin)}
        try:
            impl.function(*[arguments[name] for name in impl.argnames])
        except Exception as exc:
            _fail(registry, plugin, f"plugin {plugin!r} failed in register_sinks: {exc!r}")


class _Registrar:
    """The ``register`` callable one plugin's ``register_sinks`` receives."""

    def __init__(self, registry: Registry, plugin: str) -> None:
        self.registry = registry
        self.plugin = plugin

    def __call__(
        self,
        scheme: str,
        factory: SinkFactory,
        description: str = "",
        options: dict[str, str] | None = None,
    ) -> None:
        scheme = str(scheme).lower()
        if not _SCHEME.fullmatch(scheme):
            raise ValueError(f"bad scheme {scheme!r}: letters, digits, '+', '-', '.'")
        if not callable(factory):
            raise TypeError(f"factory for {scheme!r} is not callable: {factory!r}")
        taken = self.registry.sink_types.get(scheme)
        if taken is not None:
            message = (
                f"plugin {self.plugin!r}: sink scheme {scheme!r} ignored, "
                f"already registered by plugin {taken.plugin!r}"
            )
            _fail(self.registry, self.plugin, message, missing_schemes=False)
            return
        own = dict(options or {})
        self.registry.sink_types[scheme] = SinkType(
            scheme,
            factory,
            description,
            {**own, **{k: v for k, v in DELIVERY_OPTIONS.items() if k not in own}},
            self.plugin,
            self.registry.distributions.get(self.plugin, ""),
        )


def _in_process_name(pm: pluggy.PluginManager, plugin: Any) -> str:
    """A module's name, or an object's class name, made unique."""
    base = getattr(plugin, "__name__", None) or type(plugin).__name__
    name, number = base, 1
    while pm.has_plugin(name):
        number += 1
        name = f"{base}-{number}"
    return name


def _own_distribution() -> str:
    try:
        return _distribution_label(metadata.distribution("hotprobe"))
    except metadata.PackageNotFoundError:  # run from a checkout that is not installed
        return "hotprobe"


def _distribution_label(dist: metadata.Distribution | None) -> str:
    if dist is None:
        return "unknown distribution"
    return f"{dist.name} {dist.version}"


def _fail(registry: Registry, plugin: str, message: str, missing_schemes: bool = True) -> None:
    registry.failures.append(message)
    if missing_schemes and plugin not in registry.failed_plugins:
        registry.failed_plugins.append(plugin)
    log.error("%s", message)
