"""The collector's settings, from defaults, a TOML file and the command line."""

from __future__ import annotations

from dataclasses import dataclass, field

from collector.filter import DEFAULT_KEY

DEFAULT_BIND = "tcp://127.0.0.1:5556"


@dataclass
class CollectorConfig:
    """Everything ``hotprobe collect`` can be told."""

    bind: list[str] = field(default_factory=lambda: [DEFAULT_BIND])
    fan_in: list[str] | None = None  # None: derived from each bind (next port)
    interval: float = 0.1
    key: tuple[str, ...] = DEFAULT_KEY
    trailing: bool = False
    sinks: list[str] = field(default_factory=list)
    dead_letter: str = "hotprobe-dead-letter.jsonl"
    max_message_size: int = 1 << 20
    stats_interval: float = 0.0
    shutdown_timeout: float = 10.0
    sink_stall_after: float = 30.0  # report a sink call that has not returned after this
