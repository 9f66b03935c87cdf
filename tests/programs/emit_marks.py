"""argv[1] marks named ``marks``, ``i`` = 0 .. argv[1]-1."""

import sys

import probe

for i in range(int(sys.argv[1])):
    probe.emit("marks", i=i)
