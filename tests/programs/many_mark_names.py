"""Marks on "kept" and "forgotten", then one on each of ``argv[1]`` new names (with "kept"
every 100), then "forgotten" and "kept" again; flushes and prints how many mark streams the
probe keeps."""

import sys

import probe

names = int(sys.argv[1])
probe.emit("kept")
probe.emit("forgotten")
for i in range(names):
    probe.emit(f"epoch-{i}")
    if i % 100 == 0:
        probe.emit("kept")
probe.emit("forgotten")
probe.emit("kept")
assert probe.flush(30)
print(len(probe._marks))
