"""A loop of three items on stream ``a``, then a mark on ``b``."""

import probe

for _ in probe.iterate(range(3), "a"):
    pass
probe.emit("b")
