"""A mark before and after ``os.fork()`` in the parent, one in the child; each process prints
its ``probe.stats()`` as a JSON line, the child first."""

import json
import os
import sys

import probe

probe.emit("parent", when="before")
pid = os.fork()
if pid == 0:
    probe.emit("child")
    assert probe.flush(10)
    print(json.dumps(probe.stats()), flush=True)
    sys.exit(0)  # atexit runs in the child too: its socket is flushed and closed
os.waitpid(pid, 0)
probe.emit("parent", when="after")
assert probe.flush(10)
print(json.dumps(probe.stats()), flush=True)
