"""The collector's counters and the stats line."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Counters:
    """Every received message ends up kept, suppressed or rejected (received = the sum)."""

    received: int = 0
    kept: int = 0
    suppressed: int = 0
    rejected: int = 0
    oversized: int = 0  # rejected for being over --max-message-size (counted in rejected)
    dropped_by_plugin: int = 0
    dead_letter_failures: int = 0  # rejected messages the dead-letter file did not get
    dead_letters_dropped: int = 0  # records removed from it by its size bound
    pair_peers_cut_off: int = 0
    refused: int = 0  # connections refused at the handshake (CURVE keys, protocol)


def stats_line(counters: Counters, runners: list) -> str:
    """One line: the receive-side counters, then each sink's. Rare counters appear once they
    are not zero."""
    parts = [
        f"received={counters.received}",
        f"kept={counters.kept}",
        f"suppressed={counters.suppressed}",
        f"rejected={counters.rejected}",
    ]
    rare = (
        "oversized",
        "dropped_by_plugin",
        "dead_letter_failures",
        "dead_letters_dropped",
        "pair_peers_cut_off",
        "refused",
    )
    for name in rare:
        value = getattr(counters, name)
        if value:
            parts.append(f"{name}={value}")
    for runner in runners:
        c = runner.counters
        part = (
            f"sink[{runner.name}] written={c.written} rejected={c.rejected} failed={c.failed} "
            f"retried={c.retried} spooled={c.spooled} replayed={c.replayed} "
            f"in_spool={c.in_spool} queued={c.queued} lost={c.lost}"
        )
        for name in ("carried", "restarts"):
            value = getattr(c, name)
            if value:
                part += f" {name}={value}"
        parts.append(part)
    return "stats: " + " ".join(parts)
