"""Data no JSON encoder takes as it is, in a mark and in a progress update."""

import math
from datetime import datetime, timezone

import numpy as np

import probe


class Hostile:
    def __repr__(self):
        raise RuntimeError("no repr")


probe.emit(
    "awkward",
    array=np.arange(3),
    scalar=np.float64(0.5),
    when=datetime(2026, 1, 2, tzinfo=timezone.utc),
    tags={"a"},
    big=10**40,
    missing=math.nan,
    other=Hostile(),
)
with probe.progress("bar") as p:
    p.update(state=object())
