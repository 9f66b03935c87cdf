"""The collector's settings, each declared once: default, converter and help together.

``hotprobe collect``'s command line (collector/cli.py) and the keys of its TOML file
(collector/configfile.py) are made from these declarations, help and defaults included.
"""

from __future__ import annotations

from dataclasses import MISSING, dataclass, field, fields
from typing import Any

from collector.options import (
    Converter,
    Option,
    count_or_zero,
    flag,
    seconds,
    size,
    size_text,
    stream_key,
    text,
    text_list,
)
from collector.pipeline import deadletter
from collector.pipeline.delivery import DELIVERY_OPTIONS, DeliveryOptions
from collector.pipeline.filter import DEFAULT_KEY
from probe.protocol import DEFAULT_ENDPOINT, MAX_MESSAGE_SIZE, fan_in_endpoint

DEFAULT_BIND = DEFAULT_ENDPOINT
DEFAULT_DEAD_LETTER = "hotprobe-dead-letter.jsonl"


@dataclass(frozen=True)
class Setting(Option):
    """An option of ``hotprobe collect``: where it goes in ``CollectorConfig`` and how the
    command line takes it. ``per_sink`` names the sink option that overrides it."""

    attribute: str = ""
    metavar: str = ""
    repeatable: bool = False
    per_sink: str = ""

    @property
    def described(self) -> str:
        """``PAIR endpoint to bind (repeatable; default tcp://127.0.0.1:5556)``."""
        default = self.shown_default
        notes = [
            *(["repeatable"] if self.repeatable else []),
            *([f"default {default}"] if default is not None else []),
            *([f"per sink: ?{self.per_sink}="] if self.per_sink else []),
        ]
        return f"{self.help} ({'; '.join(notes)})" if notes else self.help


def _setting(
    help: str,
    convert: Converter,
    default: Any = MISSING,
    *,
    default_factory: Any = MISSING,
    name: str = "",
    metavar: str = "",
    repeatable: bool = False,
    default_text: str | None = None,
    per_sink: str = "",
) -> Any:
    """A ``CollectorConfig`` field carrying its option's declaration."""
    declared = {
        "name": name,
        "help": help,
        "convert": convert,
        "default_text": default_text,
        "metavar": metavar,
        "repeatable": repeatable,
        "per_sink": per_sink,
    }
    return field(default=default, default_factory=default_factory, metadata={"option": declared})


def _per_sink(name: str, metavar: str) -> Any:
    """A field whose option is a delivery option's collector-wide default."""
    option = DELIVERY_OPTIONS[name]
    return _setting(
        f"{option.help}, for sinks that set none of their own",
        option.convert,
        option.default,
        metavar=metavar,
        default_text=option.default_text,
        per_sink=name,
    )


@dataclass
class CollectorConfig:
    """Everything ``hotprobe collect`` can be told."""

    bind: list[str] = _setting(
        "PAIR endpoint to bind",
        text_list,
        default_factory=lambda: [DEFAULT_BIND],
        metavar="ENDPOINT",
        repeatable=True,
    )
    fan_in: list[str] | None = _setting(  # None: derived from each bind (next port)
        "PULL endpoint for many processes",
        text_list,
        None,
        metavar="ENDPOINT",
        repeatable=True,
        default_text="each --bind's next port",
    )
    interval: float = _setting(
        "keep at most one event per stream per interval of event time; 0 keeps all",
        seconds,
        0.1,
        metavar="SECONDS",
    )
    key: tuple[str, ...] = _setting(
        "the fields that name a stream", stream_key, DEFAULT_KEY, metavar="FIELD,..."
    )
    trailing: bool = _setting(
        "also emit a stream's newest suppressed event when its interval closes", flag, False
    )
    sinks: list[str] = _setting(
        "where kept events go: live, stdout, file:PATH, ...; hotprobe sinks lists them",
        text_list,
        default_factory=lambda: ["stdout"],
        name="sink",
        metavar="SPEC",
        repeatable=True,
        default_text="live on a terminal, else stdout",
    )
    dead_letter: str = _setting(
        "where rejected messages are written, created on the first one",
        text,
        DEFAULT_DEAD_LETTER,
        metavar="PATH",
        default_text=f"./{DEFAULT_DEAD_LETTER}",
    )
    dead_letter_max_bytes: int = _setting(
        "rotate the dead-letter file before it would pass this size",
        size,
        deadletter.DEFAULT_MAX_BYTES,
        metavar="BYTES",
        default_text=size_text(deadletter.DEFAULT_MAX_BYTES),
    )
    dead_letter_backups: int = _setting(
        "rotated dead-letter files kept as PATH.1 ... PATH.N; older records are removed and "
        "counted",
        count_or_zero,
        deadletter.DEFAULT_BACKUPS,
        metavar="N",
    )
    max_message_size: int = _setting(
        "larger messages are rejected and counted as oversized; over twice this, ZeroMQ drops "
        "them and disconnects the sender",
        size,
        MAX_MESSAGE_SIZE,
        metavar="BYTES",
        default_text=size_text(MAX_MESSAGE_SIZE),
    )
    stats_interval: float = _setting(
        "print a stats line on stderr this often; 0: only at exit", seconds, 0.0, metavar="SECONDS"
    )
    shutdown_timeout: float = _setting(
        "on SIGINT/SIGTERM, time for every sink to deliver, or spool, what it holds",
        seconds,
        10.0,
        metavar="SECONDS",
    )
    sink_stall_after: float = _setting(
        "report a sink call that has not returned after this long; 0: never",
        seconds,
        30.0,
        metavar="SECONDS",
    )
    batch_size: int = _per_sink("batch_size", "N")
    max_delay: float = _per_sink("max_delay", "SECONDS")
    spool_dir: str = _setting(
        "where each sink spools events while it is down or behind, one directory per sink, "
        "replayed by the next run",
        text,
        DeliveryOptions.spool_dir,
        metavar="DIR",
        default_text=f"./{DeliveryOptions.spool_dir}",
    )
    spool_max_bytes: int = _per_sink("spool_max_bytes", "BYTES")
    quiet: bool = _setting("log warnings, errors and stats only", flag, False)
    curve_secret_key: str | None = _setting(  # the collector's .key_secret file
        "encrypt, and admit only clients whose keys are in --curve-clients: this "
        "collector's NAME.key_secret from hotprobe keys generate",
        text,
        None,
        metavar="FILE",
    )
    curve_clients: str | None = _setting(  # directory of allowed clients' .key files
        "directory of the allowed clients' public NAME.key files, re-read when it changes",
        text,
        None,
        metavar="DIR",
    )

    @property
    def fan_in_endpoints(self) -> list[str]:
        """The PULL endpoints to bind: as given, or each bind's next port."""
        if self.fan_in is not None:
            return list(self.fan_in)
        return [fan_in_endpoint(endpoint) for endpoint in self.bind]

    @property
    def delivery(self) -> DeliveryOptions:
        """How every sink batches and spools, unless its spec says otherwise."""
        return DeliveryOptions(
            batch_size=self.batch_size,
            max_delay=self.max_delay,
            spool_dir=self.spool_dir,
            spool_max_bytes=self.spool_max_bytes,
        )


def _settings() -> tuple[Setting, ...]:
    declared = []
    for config_field in fields(CollectorConfig):
        options = dict(config_field.metadata["option"])
        name = options.pop("name") or config_field.name.replace("_", "-")
        if config_field.default is MISSING:
            default = config_field.default_factory()  # type: ignore[misc]
        else:
            default = config_field.default
        declared.append(Setting(name, default=default, attribute=config_field.name, **options))
    return tuple(declared)


#: Every option of ``hotprobe collect``, in the order ``--help`` lists them.
SETTINGS = _settings()
