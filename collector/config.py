"""The collector's settings, from defaults, a TOML file and the command line."""

from __future__ import annotations

from dataclasses import dataclass, field

from collector.pipeline import deadletter
from collector.pipeline.delivery import DeliveryOptions
from collector.pipeline.filter import DEFAULT_KEY
from probe.protocol import DEFAULT_ENDPOINT, MAX_MESSAGE_SIZE, fan_in_endpoint

DEFAULT_BIND = DEFAULT_ENDPOINT
DEFAULT_DEAD_LETTER = "hotprobe-dead-letter.jsonl"


@dataclass
class CollectorConfig:
    """Everything ``hotprobe collect`` can be told."""

    bind: list[str] = field(default_factory=lambda: [DEFAULT_BIND])
    fan_in: list[str] | None = None  # None: derived from each bind (next port)
    interval: float = 0.1
    key: tuple[str, ...] = DEFAULT_KEY
    trailing: bool = False
    sinks: list[str] = field(default_factory=lambda: ["stdout"])
    dead_letter: str = DEFAULT_DEAD_LETTER
    dead_letter_max_bytes: int = deadletter.DEFAULT_MAX_BYTES  # then it is rotated
    dead_letter_backups: int = deadletter.DEFAULT_BACKUPS
    max_message_size: int = MAX_MESSAGE_SIZE
    stats_interval: float = 0.0
    shutdown_timeout: float = 10.0
    sink_stall_after: float = 30.0  # report a sink call that has not returned after this
    batch_size: int = DeliveryOptions.batch_size
    max_delay: float = DeliveryOptions.max_delay
    spool_dir: str = DeliveryOptions.spool_dir
    spool_max_bytes: int = DeliveryOptions.spool_max_bytes
    quiet: bool = False
    curve_secret_key: str | None = None  # the collector's .key_secret file
    curve_clients: str | None = None  # directory of allowed clients' .key files

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
