"""Lines on stdout and stderr in turn, then a line redrawn in place as tqdm draws a bar."""

import sys
import time

import probe

for i in probe.iterate(range(6), "lines"):
    print(f"out {i}")
    print(f"err {i}", file=sys.stderr)
    time.sleep(0.05)
for i in range(5):
    sys.stderr.write(f"\rbar {i}/4")
    sys.stderr.flush()
    time.sleep(0.02)
sys.stderr.write("\n")
print("last")
