"""The live sink's costs at 100 streams, side by side with the file sink, in one process.

    PYTHONPATH=. python benchmarks/live_view.py

(a) ``LiveSink.write`` (fold events into rows) against ``FileSink.write`` to /dev/null on the
    same batches of 500 events: events per second and the ratio.
(b) one frame of the view (100 streams, 120x40 terminal) rendered to a terminal console: time
    per frame and the share of one core at the default 4 frames per second.
(c) the same frame with 10,000 streams known (the view shows what fits): time per frame.
Each figure is the median of 5 repeats.
"""

from __future__ import annotations

import io
import statistics
import time

from rich.console import Console

from collector import registry
from plugins.file import FileSink
from plugins.live import LiveSink
from probe.protocol import PROTOCOL_VERSION

STREAMS = 100
BATCH = 500
EVENTS = 200_000
REPEATS = 5


def make_batches() -> list[list[dict]]:
    events = [
        {
            "v": PROTOCOL_VERSION,
            "timestamp": "2026-11-28T01:00:00.000000+00:00",
            "probe": f"task_{i % STREAMS:03d}",
            "event": "progress",
            "n": i // STREAMS,
            "total": EVENTS // STREAMS,
            "elapsed": i / 10_000,
            "rate": 100.0,
            "host": "node",
            "pid": 1000 + i % STREAMS,
            "run": "bench",
            "seq": i // STREAMS,
            "dropped": 0,
            "data": {"loss": 1.0 / (i + 1)},
        }
        for i in range(EVENTS)
    ]
    return [events[i : i + BATCH] for i in range(0, EVENTS, BATCH)]


def events_per_second(write, batches: list[list[dict]]) -> float:
    start = time.perf_counter()
    for batch in batches:
        write(batch)
    return EVENTS / (time.perf_counter() - start)


def median(measure) -> float:
    return statistics.median(measure() for _ in range(REPEATS))


def main() -> None:
    batches = make_batches()
    file_sink = FileSink(registry.load().parse("file:/dev/null"))
    file_sink.open()

    def live_write() -> float:
        return events_per_second(LiveSink(registry.load().parse("live")).write, batches)

    live = median(live_write)
    anchor = median(lambda: events_per_second(file_sink.write, batches))
    file_sink.close()
    print(f"(a) live write: {live:,.0f} events/s; file sink to /dev/null: {anchor:,.0f} events/s")
    print(f"    ratio live/file = {live / anchor:.2f}")

    console = Console(width=120, height=40, file=io.StringIO(), force_terminal=True)
    sink = LiveSink(registry.load().parse("live"), console=console)
    for batch in batches:
        sink.write(batch)

    def frame_seconds() -> float:
        start = time.perf_counter()
        for _ in range(20):
            console.file = io.StringIO()
            console.print(sink.renderable())
        return (time.perf_counter() - start) / 20

    frame = median(frame_seconds)
    print(f"(b) one frame, {STREAMS} streams, 120x40: {frame * 1000:.1f} ms")
    print(f"    at 4 frames/s: {frame * 4 * 100:.1f}% of one core")

    template = batches[0][0]
    sink.write([dict(template, pid=10_000 + k) for k in range(10_000 - STREAMS)])
    crowded = median(frame_seconds)
    known = sum(sink.board.snapshot(time.monotonic()).counts.values())
    print(f"(c) one frame, {known:,} streams, 120x40: {crowded * 1000:.1f} ms")
    print(f"    ratio (c)/(b) = {crowded / frame:.2f}")


if __name__ == "__main__":
    main()
