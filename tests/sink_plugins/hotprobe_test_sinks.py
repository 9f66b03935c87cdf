"""Test sinks: one raising on every write, one sleeping 5 s per batch."""

import time

from collector import Sink, hookimpl


class FailingSink(Sink):
    def write(self, events):
        raise RuntimeError("this sink always fails")


class SleepySink(Sink):
    def write(self, events):
        time.sleep(5)
        with open(self.spec.target, "a") as done:
            done.write(f"{len(events)}\n")


@hookimpl
def register_sinks(register):
    register("failing", FailingSink, description="raises on every write")
    register("sleepy", SleepySink, description="sleeps 5 s per batch")
