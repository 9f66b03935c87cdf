"""A loop that stops at the first SIGINT; prints how many it received, emits ``cleanup`` and
exits 130. Prints ``ready`` once 20 items are done."""

import signal
import sys
import time

import probe

received = []
signal.signal(signal.SIGINT, lambda *_: received.append(1))
for i in probe.iterate(range(10_000), "work"):
    if received:
        break
    if i == 20:
        print("ready", flush=True)
    time.sleep(0.005)
time.sleep(0.5)  # a second forwarded Ctrl-C would land here
print(f"interrupted {len(received)}", flush=True)
probe.emit("cleanup", signals=len(received))
sys.exit(130)
