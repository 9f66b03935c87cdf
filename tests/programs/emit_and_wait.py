"""``argv[1]`` marks on stream "beat", then a sleep of ``argv[2]`` seconds; prints
``probe.stats()``."""

import json
import sys
import time

import probe

for i in range(int(sys.argv[1])):
    probe.emit("beat", i=i)
time.sleep(float(sys.argv[2]))
print(json.dumps(probe.stats()), flush=True)
