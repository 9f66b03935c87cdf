"""Emits a mark (named by ``$NAME``, else ``beat``) every 10 ms until the file argv[1] exists,
for 60 s at the most; prints what it sent as JSON at the end.

With argv[2] and argv[3] (``down`` and ``up`` files) it also counts the marks emitted while
``down`` exists and ``up`` does not: the loop goes on while there is no collector."""

import json
import os
import sys
import time

import probe

stop = sys.argv[1]
down, up = sys.argv[2:4] if len(sys.argv) > 3 else ("", "")
i = while_down = 0
deadline = time.monotonic() + 60
while time.monotonic() < deadline and not os.path.exists(stop):
    probe.emit(os.environ.get("NAME", "beat"), i=i)
    i += 1
    if down and os.path.exists(down) and not os.path.exists(up):
        while_down += 1
    time.sleep(0.01)
print(json.dumps({"sent": probe.stats()["sent"], "while_down": while_down}))
