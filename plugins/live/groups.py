"""One row for a pool: the streams of one name in one run, from several processes, folded
into a group row that sums them (``n``, ``total``, the combined rate, counts by state)."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field

from collector.pool import PoolSums
from collector.states import DONE, FAILED, IDLE, LIVELIEST, RUNNING, STALLED
from plugins.live.board import StreamRow

_COUNTED = (RUNNING, STALLED, IDLE, DONE, FAILED)
_COUNTED_WHEN_ANY = (STALLED, IDLE)


@dataclass
class GroupRow(PoolSums):
    """Reads like a ``StreamRow`` to the renderer; ``members`` are the streams summed."""

    order: int
    probe: str
    members: list[StreamRow]
    statuses: list[str]
    counts: dict[str, int] = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        for status in self.statuses:
            self.counts[status] = self.counts.get(status, 0) + 1

    @property
    def where(self) -> str:
        return f"{len(self.members)} processes"

    @property
    def rate(self) -> float | None:
        """The running members' rates added up; once none runs, all members' rates."""
        running = [m.rate for m, s in zip(self.members, self.statuses, strict=True) if s == RUNNING]
        rates = [rate for rate in (running or [m.rate for m in self.members]) if rate]
        return sum(rates) if rates else None

    @property
    def eta(self) -> float | None:
        total, rate = self.total, self.rate
        if self.status_of_group != RUNNING or total is None or not rate:
            return None
        return max(0.0, (total - self.n) / rate)

    @property
    def last_seen(self) -> float:
        return max(member.last_seen for member in self.members)

    @property
    def errors(self) -> int:
        return sum(member.errors for member in self.members)

    @property
    def error(self) -> str:
        return next((member.error for member in self.members if member.error), "")

    @property
    def data_text(self) -> str:
        """The members by state: ``3 running, 1 done, 0 failed`` (running, done and failed
        always; stalled and idle when there are any)."""
        shown = [s for s in _COUNTED if s in self.counts or s not in _COUNTED_WHEN_ANY]
        return ", ".join(f"{self.counts.get(s, 0)} {s}" for s in shown)

    @property
    def status_of_group(self) -> str:
        """The liveliest of the members' states (``collector.states.LIVELIEST``)."""
        return next((s for s in LIVELIEST if s in self.counts), self.statuses[0])


def fold(rows: Sequence[StreamRow], statuses: dict[int, str]) -> list[StreamRow | GroupRow]:
    """The rows with every name that several processes of one run share folded into one
    group row, in the place of its first member; ``statuses`` maps ``order`` to status."""
    by_name: dict[tuple[Hashable, str], list[StreamRow]] = {}
    for row in rows:
        by_name.setdefault((row.run, row.probe), []).append(row)
    lines: list[StreamRow | GroupRow] = []
    for members in by_name.values():
        if len(members) == 1:
            lines.append(members[0])
            continue
        member_statuses = [statuses[member.order] for member in members]
        lines.append(GroupRow(members[0].order, members[0].probe, members, member_statuses))
    lines.sort(key=lambda line: line.order)
    return lines
