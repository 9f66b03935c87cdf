"""A client key file others may read: ``HOTPROBE_CLIENT_KEY`` names one, so twenty ``before``
marks are dropped (never raised); ``configure(client_key=argv[1])``, another such file, raises
``ValueError``; ``configure(client_key=argv[2])``, an owner-only file, sends twenty ``after``
marks. Prints JSON: the stats after each batch and the refusal's message."""

import json
import os
import sys

import probe

for i in range(20):
    probe.emit("before", i=i)
probe.flush(1)
before = probe.stats()
try:
    probe.configure(server_key=os.environ["HOTPROBE_SERVER_KEY"], client_key=sys.argv[1])
except ValueError as exc:
    refused = str(exc)
else:
    refused = None
probe.configure(server_key=os.environ["HOTPROBE_SERVER_KEY"], client_key=sys.argv[2])
for i in range(20):
    probe.emit("after", i=i)
probe.flush(20)
print(json.dumps({"before": before, "refused": refused, "after": probe.stats()}))
