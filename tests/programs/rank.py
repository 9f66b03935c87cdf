"""One rank of a job (its number in ``$RANK``): 50 iterations, a mark each; prints the kind of
socket the probe used."""

import os

import probe

for step in probe.iterate(range(50), "rank"):
    probe.emit("rank-step", rank=int(os.environ["RANK"]), step=step)
print(probe.stats()["socket"])
