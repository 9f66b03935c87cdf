"""A loop of 200 items on stream ``load``, then ``loaded`` printed; exits with argv[1]."""

import sys
import time

import probe

for _ in probe.iterate(range(200), "load"):
    time.sleep(0.001)
print("loaded", flush=True)
sys.exit(int(sys.argv[1]))
