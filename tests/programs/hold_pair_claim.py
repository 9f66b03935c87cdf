"""Emits a mark, prints the kind of socket it used, and lives until a line arrives on stdin."""

import sys

import probe

probe.emit("x")
print(probe.stats()["socket"], flush=True)
sys.stdin.readline()
