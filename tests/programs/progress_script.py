"""A ``progress`` bar named ``script`` through 50 updates."""

import time

import probe

with probe.progress("script") as p:
    for _ in range(50):
        p.update()
        time.sleep(0.002)
