"""probe.iterate with tqdm's keywords: desc and unit, disable, mininterval against the
default, and the refused ones (their TypeError messages printed as JSON); probe.progress's
unit."""

import json
import time

import probe

for _ in probe.iterate(range(5), desc="load", unit="batch"):
    pass
data = [1, 2]
assert probe.iterate(data, desc="off", disable=True) is data
for _ in probe.iterate(range(400), desc="slow", mininterval=0.5):
    time.sleep(0.0025)
for _ in probe.iterate(range(400), desc="fast"):
    time.sleep(0.0025)
with probe.progress("bytes", total=10, unit="B") as bar:
    bar.update(10)
errors = []
for name, keywords in ((None, {"leave": False}), (None, {"position": 1}), (None, {"ncols": 80})):
    try:
        probe.iterate([], name, **keywords)
    except TypeError as exc:
        errors.append(str(exc))
try:
    probe.iterate([], "a", desc="b")
except TypeError as exc:
    errors.append(str(exc))
print(json.dumps(errors))
