"""SinkRunner: batching, retry, spooling while a sink is down or behind, bounded shutdown."""

from __future__ import annotations

import threading
import time

import pytest

from collector.pipeline.delivery import DeliveryOptions, SinkRunner, split_delivery_options
from collector.pipeline.spool import Spool
from collector.sinks import Sink, SinkSpec
from tests.helpers import wait_for


class RecordingSink(Sink):
    """Keeps what it is given; fails while ``down`` is set; sleeps ``delay`` per batch."""

    def __init__(self, down: bool = False, delay: float = 0.0) -> None:
        super().__init__(SinkSpec.parse("test"))
        self.events: list[dict] = []
        self.batches: list[int] = []
        self.down = threading.Event()
        if down:
            self.down.set()
        self.delay = delay
        self.closed = False

    def write(self, events):
        if self.down.is_set():
            raise ConnectionError("down")
        if self.delay:
            time.sleep(self.delay)
        self.batches.append(len(events))
        self.events.extend(events)

    def close(self):
        self.closed = True

    def seqs(self) -> list[int]:
        return [event["seq"] for event in self.events]


def runner_for(sink: Sink, tmp_path, **options) -> SinkRunner:
    opts = DeliveryOptions(retry_initial=0.01, retry_max=0.05, spool_after=0.1, **options)
    return SinkRunner("test", sink, opts, Spool(tmp_path / "spool", 1 << 24))


def offer(runner: SinkRunner, start: int, count: int) -> None:
    runner.offer_many([{"seq": seq} for seq in range(start, start + count)])


def test_events_arrive_in_batches_and_in_order(tmp_path):
    sink = RecordingSink()
    runner = runner_for(sink, tmp_path, batch_size=100, max_delay=0.05)
    runner.start()
    offer(runner, 0, 1050)
    assert wait_for(lambda: len(sink.events) == 1050)
    assert runner.close(5.0)
    assert sink.seqs() == list(range(1050)) and max(sink.batches) == 100
    assert sink.closed and runner.counters.written == 1050


def test_a_lone_event_waits_max_delay_for_its_batch_then_goes_out(tmp_path):
    sink = RecordingSink()
    written_at = []
    write = sink.write
    sink.write = lambda events: (write(events), written_at.append(time.monotonic()))
    runner = runner_for(sink, tmp_path, batch_size=500, max_delay=0.5)
    runner.start()
    offered_at = time.monotonic()
    offer(runner, 0, 1)
    assert wait_for(lambda: sink.events, timeout=10.0)
    assert written_at[0] - offered_at >= 0.5  # it waited for its batch to fill
    assert runner.close(5.0) and sink.seqs() == [0]


def test_a_full_batch_goes_out_without_waiting_for_max_delay(tmp_path):
    sink = RecordingSink()
    runner = runner_for(sink, tmp_path, batch_size=10, max_delay=60.0)
    runner.start()
    offer(runner, 0, 25)
    assert wait_for(lambda: len(sink.events) == 20, timeout=10.0)
    assert sink.batches == [10, 10]  # the 5 left wait for max_delay, or for the close
    assert runner.close(5.0) and sink.seqs() == list(range(25))


def test_a_sink_that_stays_down_is_spooled_and_replayed_in_order(tmp_path):
    sink = RecordingSink(down=True)
    runner = runner_for(sink, tmp_path, batch_size=50, max_delay=0.01)
    runner.start()
    offer(runner, 0, 500)
    assert wait_for(lambda: runner.counters.in_spool == 500)
    offer(runner, 500, 500)
    assert wait_for(lambda: runner.counters.in_spool == 1000)
    sink.down.clear()
    assert wait_for(lambda: runner.counters.replayed == 1000)  # counted once written
    assert sink.seqs() == list(range(1000))
    counters = runner.counters
    assert counters.failed > 0 and counters.retried > 0
    assert counters.spooled == counters.replayed == 1000 and counters.in_spool == 0
    assert runner.close(5.0)
    assert not (tmp_path / "spool").exists()


def test_a_slow_sink_overflows_to_the_spool_and_loses_nothing(tmp_path):
    sink = RecordingSink(delay=0.05)
    runner = runner_for(sink, tmp_path, batch_size=100, queue_size=500, max_delay=0.01)
    runner.start()
    for start in range(0, 3000, 300):
        offer(runner, start, 300)
        time.sleep(0.02)
    assert wait_for(lambda: len(sink.events) == 3000, timeout=60)
    assert sink.seqs() == list(range(3000))
    assert runner.counters.spooled > 0 and runner.counters.lost == 0
    assert runner.close(5.0)


def test_shutdown_with_the_sink_down_spools_and_the_next_run_replays(tmp_path):
    sink = RecordingSink(down=True)
    runner = runner_for(sink, tmp_path, batch_size=50, max_delay=0.01)
    runner.start()
    offer(runner, 0, 300)
    assert runner.close(5.0)
    assert runner.counters.in_spool == 300 and not sink.events

    healthy = RecordingSink()
    again = runner_for(healthy, tmp_path, batch_size=50)
    again.start()
    offer(again, 300, 10)
    assert wait_for(lambda: len(healthy.events) == 310)
    assert healthy.seqs() == list(range(310))
    assert again.close(5.0)


def test_a_hung_sink_is_left_behind_within_the_timeout_and_its_events_spooled(tmp_path):
    release, entered = threading.Event(), threading.Event()

    class HungSink(RecordingSink):
        def write(self, events):
            entered.set()
            release.wait(30)

    runner = runner_for(HungSink(), tmp_path, batch_size=10, max_delay=0.01)
    runner.start()
    offer(runner, 0, 100)
    assert entered.wait(10)
    started = time.monotonic()
    assert runner.close(1.0)
    assert time.monotonic() - started < 3.0
    assert runner.counters.in_spool == 100 and runner.counters.lost == 0
    release.set()

    healthy = RecordingSink()
    again = runner_for(healthy, tmp_path)
    again.start()
    assert wait_for(lambda: len(healthy.events) == 100)
    assert healthy.seqs() == list(range(100))
    again.close(5.0)


def test_a_sink_that_cannot_open_is_retried_and_its_events_spooled_meanwhile(tmp_path):
    class LateSink(RecordingSink):
        def open(self):
            if self.down.is_set():
                raise ConnectionRefusedError("not yet")

    sink = LateSink(down=True)
    runner = runner_for(sink, tmp_path, batch_size=10, max_delay=0.01)
    runner.start()
    offer(runner, 0, 100)
    assert wait_for(lambda: runner.counters.in_spool == 100)
    sink.down.clear()
    assert wait_for(lambda: len(sink.events) == 100)
    assert sink.seqs() == list(range(100))
    runner.close(5.0)


def test_delivery_options_come_out_of_the_spec():
    defaults = DeliveryOptions()
    options, text = split_delivery_options(
        "mongodb://h/db?collection=c&batch_size=100&max_delay=0.5", defaults
    )
    assert (options.batch_size, options.max_delay) == (100, 0.5)
    assert text == "mongodb://h/db?collection=c"
    assert split_delivery_options("stdout", defaults) == (defaults, "stdout")
    with pytest.raises(ValueError, match="batch_size"):
        split_delivery_options("stdout?batch_size=lots", defaults)
    with pytest.raises(ValueError, match="batch_size"):
        split_delivery_options("stdout?batch_size=0", defaults)
