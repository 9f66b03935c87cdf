"""Driven by lines on stdin while the test stops and resumes the collector: a mark, then
argv[1] marks (the collector stopped), then marks until no drop is pending (it runs again).
Prints ``probe.stats()`` as a JSON line after each step."""

import json
import sys
import time

import probe


def report() -> None:
    print(json.dumps(probe.stats()), flush=True)


probe.emit("before")
report()
sys.stdin.readline()  # the collector is stopped now
for i in range(int(sys.argv[1])):
    probe.emit("flood", i=i)
report()
sys.stdin.readline()  # the collector runs again
deadline = time.monotonic() + 20
while time.monotonic() < deadline:
    probe.emit("after")
    if probe.stats()["dropped_since_last_send"] == 0:
        break
    time.sleep(0.01)
report()
sys.stdin.readline()  # the report arrived: exit (queue empty, no linger)
