"""A plugin whose sink never returns from ``write()``."""

import time

from collector import Sink, hookimpl


class StuckWrite(Sink):
    def write(self, events):
        time.sleep(3600)


@hookimpl
def register_sinks(register):
    register("stuckwrite", StuckWrite)
