"""Test sinks: one refusing events marked bad, one whose destination is always down."""

from collector import Sink, hookimpl


class PickySink(Sink):
    def write(self, events):
        if any(event.get("data", {}).get("bad") for event in events):
            raise ValueError("cannot store a bad event")


class DownSink(Sink):
    def write(self, events):
        raise ConnectionRefusedError("destination down")


@hookimpl
def register_sinks(register):
    register("picky", PickySink, description="refuses events marked bad")
    register("down", DownSink, description="always down")
