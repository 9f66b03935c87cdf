"""1,000 tracked calls and 1,000 marks; prints how many were dropped and how many sent."""

import probe


@probe.track
def f(x):
    return x


for i in range(1000):
    f(i)
    probe.emit("marks", i=i)
print(probe.stats()["dropped"], probe.stats()["sent"])
