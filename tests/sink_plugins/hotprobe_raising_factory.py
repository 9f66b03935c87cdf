"""A plugin whose sink factory raises."""

from collector import hookimpl


def factory(spec):
    raise RuntimeError("no licence server")


@hookimpl
def register_sinks(register):
    register("exploding", factory)
