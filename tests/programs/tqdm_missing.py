"""probe as if tqdm were not installed: every tqdm name of probe raises ImportError; prints
the messages as JSON. Also prints which tqdm modules ``import probe`` loaded (none)."""

import json
import sys

sys.modules["tqdm"] = None  # what a missing package looks like to ``import``

import probe  # noqa: E402

messages = []
for attempt in (lambda: probe.tqdm, lambda: probe.trange, probe.patch_tqdm):
    try:
        attempt()
    except ImportError as exc:
        messages.append(str(exc))
print(json.dumps(messages))
