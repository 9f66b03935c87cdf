"""A sink declaring delivery defaults of its own: batches of up to 1000 events, each waiting up
to an hour to fill, so a lone event is written only at shutdown unless the spec says
otherwise. It appends the size of every batch it gets to its target."""

from collector import Sink, hookimpl


class PatientSink(Sink):
    delivery_defaults = {"max_delay": 3600, "batch_size": "1000"}

    def write(self, events):
        with open(self.spec.target, "a") as batches:
            batches.write(f"{len(events)}\n")


@hookimpl
def register_sinks(register):
    register("patient", PatientSink, description="waits an hour for its batches", target="PATH")
