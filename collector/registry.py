"""The plugin manager: built-in sinks and installed plugins, registered the same way."""

from __future__ import annotations

import importlib
import logging
import os
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any

import pluggy

from collector import hookspecs, sinkspec
from collector.options import Option, did_you_mean
from collector.pipeline.delivery import DELIVERY_OPTIONS, DeliveryOptions
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
_OPTION_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


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

    def parse(self, text: str) -> SinkSpec:
        """One ``--sink`` value read against its scheme's declaration, options converted.

        Raises ``UnknownSink`` (with the closest scheme, or ``file:PATH`` for what looks like
        a path) or ``ValueError`` (a bad target or option, naming the closest valid one)."""
        scheme = sinkspec.scheme_of(text)
        try:
            sink_type = self.sink_type(scheme)
        except UnknownSink as exc:
            if sinkspec.looks_like_path(text):
                hint = f"; to write to a file: --sink file:{redacted(text)}"
            else:
                hint = did_you_mean(scheme, self.sink_types)
            raise UnknownSink(f"{exc}{hint}") from None
        try:
            return sinkspec.parse(text, sink_type, DELIVERY_OPTIONS)
        except ValueError as exc:  # a spec may hold a password: messages show it redacted
            raise ValueError(f"--sink {redacted(text)!r}: {redacted_text(str(exc))}") from None

    def create_sink(self, spec: str | SinkSpec) -> Sink:
        """The plugin's sink for one ``--sink`` value, or for its ``parse`` (its runner's
        reports name the plugin: ``sink_type(scheme).origin``).

        Raises ``UnknownSink``, ``ValueError`` (a bad spec, the user's to fix) or
        ``BrokenSinkFactory`` (any other exception from the factory, the plugin's to fix)."""
        sink_spec = self.parse(spec) if isinstance(spec, str) else spec
        text = sink_spec.text
        sink_type = self.sink_type(sink_spec.scheme)
        origin = sink_type.origin
        shown = redacted(text)  # a spec may hold a password: messages show it redacted
        try:
            sink = sink_type.factory(sink_spec)
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
        _register(registry, importlib.import_module(module_name), module_name, own)
    _load_entry_points(registry)
    for plugin in extra_plugins:
        if not pm.is_registered(plugin):  # an installed plugin that a test also passes
            _register(registry, plugin, _in_process_name(pm, plugin), "registered in-process")
    _collect_sinks(registry)
    return registry


def call_order(hook: Any) -> list[Any]:
    """A hook's implementations in the order pluggy calls them: ``tryfirst`` ones first,
    ``trylast`` ones last, otherwise the plugin registered last first."""
    return list(reversed(hook.get_hookimpls()))


def _register(registry: Registry, plugin: Any, name: str, distribution: str) -> None:
    """Register ``plugin``, or leave it out, reported, if one of its hooks is a wrapper: the
    collector calls each plugin's hook on its own, so a wrapper would never run."""
    registry.pm.register(plugin, name=name)
    for caller in registry.pm.get_hookcallers(plugin) or ():
        for impl in caller.get_hookimpls():
            if impl.plugin is plugin and (impl.wrapper or impl.hookwrapper):
                registry.pm.unregister(plugin)
                marker = "wrapper=True" if impl.wrapper else "hookwrapper=True"
                _fail(
                    registry,
                    name,
                    f"plugin {name!r} ({distribution}) left out: its {caller.name} hook is "
                    f"marked {marker}, which hotprobe does not support: each plugin's hook is "
                    "called on its own, so that one plugin's exception never stops another's. "
                    "Use a plain @hookimpl; tryfirst=True or trylast=True set the order",
                )
                return
    registry.distributions[name] = distribution


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
            _register(registry, ep.load(), ep.name, dist)
        except Exception as exc:
            _fail(registry, ep.name, f"plugin {ep.name!r} ({dist}) failed to load: {exc!r}")
    for name in sorted((wanted or set()) - found):
        installed = ", ".join(sorted(found)) or "none"
        message = f"HOTPROBE_PLUGINS names {name!r}, not installed (installed: {installed})"
        _fail(registry, name, message)


def _collect_sinks(registry: Registry) -> None:
    """Call every ``register_sinks`` in pluggy's order, each on its own: one raising is
    reported and the others still run."""
    for impl in call_order(registry.pm.hook.register_sinks):
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
        options: Iterable[Option] = (),
        target: str | None = "TARGET",
        passthrough: Callable[[str], bool] | None = None,
    ) -> None:
        scheme = str(scheme).lower()
        if not _SCHEME.fullmatch(scheme):
            raise ValueError(f"bad scheme {scheme!r}: letters, digits, '+', '-', '.'")
        if not callable(factory):
            raise TypeError(f"factory for {scheme!r} is not callable: {factory!r}")
        if passthrough is not None and not callable(passthrough):
            raise TypeError(f"passthrough for {scheme!r} is not callable: {passthrough!r}")
        sink_type = SinkType(
            scheme,
            factory,
            description,
            _declared(scheme, options),
            target,
            passthrough,
            self.plugin,
            self.registry.distributions.get(self.plugin, ""),
            _delivery_defaults(scheme, factory),
        )
        taken = self.registry.sink_types.get(scheme)
        if taken is not None:
            first, second = sorted((taken, sink_type), key=self._rank)
            message = (
                f"plugin {second.plugin!r}: sink scheme {scheme!r} ignored, "
                f"already registered by plugin {first.plugin!r}"
            )
            _fail(self.registry, second.plugin, message, missing_schemes=False)
            sink_type = first
        self.registry.sink_types[scheme] = sink_type

    def _rank(self, sink_type: SinkType) -> int:
        """Plugins registered first keep a scheme: the built-ins, then installed plugins."""
        return list(self.registry.distributions).index(sink_type.plugin)


def _declared(scheme: str, options: Iterable[Option]) -> dict[str, Option]:
    """A sink's options by name; ``TypeError`` or ``ValueError`` for a bad declaration."""
    if isinstance(options, (dict, str)):
        raise TypeError(f"options for {scheme!r} must be a sequence of collector.Option")
    declared: dict[str, Option] = {}
    for option in options:
        if not isinstance(option, Option):
            raise TypeError(f"option for {scheme!r} is not a collector.Option: {option!r}")
        if option.name in DELIVERY_OPTIONS:
            raise ValueError(
                f"option {option.name!r} of {scheme!r} is a delivery option every sink takes"
            )
        if not _OPTION_NAME.fullmatch(option.name) or option.name in declared:
            raise ValueError(f"option name {option.name!r} of {scheme!r} is not a new identifier")
        declared[option.name] = option
    return declared


def _delivery_defaults(scheme: str, factory: SinkFactory) -> dict[str, Any]:
    """The factory's own ``delivery_defaults``, converted; ``TypeError`` or ``ValueError``
    (naming the closest delivery option) for a bad declaration."""
    declared = getattr(factory, "delivery_defaults", None) or {}
    if not isinstance(declared, Mapping):
        raise TypeError(f"delivery_defaults of {scheme!r} must be a mapping, not {declared!r}")
    defaults: dict[str, Any] = {}
    for name, value in declared.items():
        option = DELIVERY_OPTIONS.get(name)
        if option is None:
            hint = did_you_mean(name, DELIVERY_OPTIONS)
            names = ", ".join(DELIVERY_OPTIONS)
            raise ValueError(
                f"delivery_defaults of {scheme!r}: {name!r} is not a delivery option{hint} "
                f"({names})"
            )
        try:
            defaults[name] = option.read(value)
        except ValueError as exc:
            raise ValueError(f"delivery_defaults of {scheme!r}: {exc}") from None
    DeliveryOptions(**defaults)  # the checks every sink's options pass
    return defaults


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
