"""A mark, labels set after it, another mark."""

import probe

probe.emit("first")
probe.configure(labels={"phase": "two"})
probe.emit("second")
