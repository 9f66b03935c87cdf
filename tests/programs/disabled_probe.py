"""Under ``HOTPROBE_DISABLE=1``: ``track`` and ``iterate`` hand back what they were given;
prints how many messages were sent and dropped."""

import probe


@probe.track
def f(x):
    return x


assert not hasattr(f, "__hotprobe_stream__")
data = [1, 2, 3]
assert probe.iterate(data) is data
probe.emit("x")
print(probe.stats()["sent"], probe.stats()["dropped"])
