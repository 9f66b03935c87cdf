"""The collector's counters and the stats line."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Counters:
    received: int = 0
    kept: int = 0
    suppressed: int = 0
    rejected: int = 0
    dropped_by_plugin: int = 0


def stats_line(counters: Counters, runners: list) -> str:
    """One line: the receive-side counters, then each sink's."""
    parts = [
        f"received={counters.received}",
        f"kept={counters.kept}",
        f"suppressed={counters.suppressed}",
        f"rejected={counters.rejected}",
    ]
    if counters.dropped_by_plugin:
        parts.append(f"dropped_by_plugin={counters.dropped_by_plugin}")
    for runner in runners:
        c = runner.counters
        parts.append(
            f"sink[{runner.name}] written={c.written} failed={c.failed_writes} "
            f"retried={c.retried} lost={c.lost}"
        )
    return "stats: " + " ".join(parts)
