"""200,000 tracked iterations and 5,000 marks, far more than the send queue holds; prints
whether anything was dropped or sent."""

import probe


@probe.track
def f(x):
    return x


for i in probe.iterate(range(200_000), "loop"):
    f(i)
for i in range(5000):
    probe.emit("marks", i=i)  # far more than the send queue holds
print(probe.stats()["dropped"] > 0 or probe.stats()["sent"] > 0)
