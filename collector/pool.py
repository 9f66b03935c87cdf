"""One bar for a pool: what the streams of one name in one run, from several processes (a
Pool's workers, MPI ranks), add up to. Shared by the live view's group rows and the
history's groups."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


class PoolSums:
    """``n`` and ``total`` of the pool's ``members`` added up; the total is known only when
    every member's is. Mixed into a class that has ``members``."""

    members: Sequence[Any]

    @property
    def n(self) -> float:
        return sum(member.n for member in self.members)

    @property
    def total(self) -> float | None:
        totals = [member.total for member in self.members]
        return None if None in totals else sum(totals)
