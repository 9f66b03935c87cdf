"""A plugin whose sink raises on every write."""

from collector import Sink, hookimpl


class Failing(Sink):
    def write(self, events):
        raise OSError("disk on fire")


@hookimpl
def register_sinks(register):
    register("failing", Failing)
