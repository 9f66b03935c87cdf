"""A 50-item loop named ``load`` and a ``checkpoint`` mark."""

import probe

for _ in probe.iterate(range(50), "load"):
    pass
probe.emit("checkpoint", loss=0.25)
