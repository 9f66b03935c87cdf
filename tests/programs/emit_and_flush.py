"""``argv[1]`` marks on stream ``argv[2]``, then ``probe.flush``; prints ``probe.stats()``."""

import json
import sys

import probe

for i in range(int(sys.argv[1])):
    probe.emit(sys.argv[2], i=i)
assert probe.flush(30)
print(json.dumps(probe.stats()), flush=True)
