"""Emits 20 marks named argv[1] (``secure`` without one), ``i`` = 0 .. 19."""

import sys

import probe

name = sys.argv[1] if len(sys.argv) > 1 else "secure"
for i in range(20):
    probe.emit(name, i=i)
