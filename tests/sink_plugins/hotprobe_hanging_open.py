"""A plugin whose sink never returns from ``open()``."""

import time

from collector import Sink, hookimpl


class StuckOpen(Sink):
    def open(self):
        time.sleep(3600)

    def write(self, events):
        pass


@hookimpl
def register_sinks(register):
    register("stuckopen", StuckOpen)
