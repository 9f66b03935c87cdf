"""The pieces of delivery, each alone: the batching queue, the backoff, the bisecting batch
write, the spill to the spool; then the runner's dead letters and its worker's restarts."""

from __future__ import annotations

import base64
import json
import shutil
import threading

import orjson
import pytest

from collector import Refused
from collector.pipeline.batching import BatchQueue
from collector.pipeline.deadletter import DeadLetters
from collector.pipeline.delivery import DeliveryOptions, SinkRunner
from collector.pipeline.isolate import BatchWrite
from collector.pipeline.retry import Backoff
from collector.pipeline.spill import Spill
from collector.pipeline.spool import Spool
from collector.sinks import Sink, SinkSpec
from tests.helpers import wait_for


def events(start: int, count: int) -> list[dict]:
    return [{"seq": seq} for seq in range(start, start + count)]


# -- the batching queue ----------------------------------------------------------------------
def test_a_partial_batch_is_due_only_once_its_oldest_event_has_waited_max_delay():
    queue = BatchQueue(
        batch_size=10, max_delay=0.5, high_water=100, limit=200, wake=threading.Event()
    )
    queue.offer_many(events(0, 3))
    assert queue.take_batch(now=100.0) is None  # the oldest is first seen now
    assert queue.take_batch(now=100.49) is None
    assert queue.next_due(now=100.2) == pytest.approx(0.3)
    assert queue.take_batch(now=100.5) == events(0, 3)
    assert queue.take_batch(now=200.0) is None and len(queue) == 0


def test_a_full_batch_is_due_at_once_and_wakes_the_worker():
    wake = threading.Event()
    queue = BatchQueue(batch_size=10, max_delay=60.0, high_water=100, limit=200, wake=wake)
    queue.offer_many(events(0, 9))
    assert not wake.is_set()
    queue.offer_many(events(9, 6))
    assert wake.is_set()
    assert queue.take_batch(now=0.0) == events(0, 10)
    assert queue.take_batch(now=0.0) is None  # 5 left, not due for a minute
    assert queue.take_batch(now=0.0, flush=True) == events(10, 5)


def test_past_its_limit_the_queue_drops_and_counts():
    queue = BatchQueue(
        batch_size=10, max_delay=0.1, high_water=50, limit=100, wake=threading.Event()
    )
    assert queue.offer_many(events(0, 80)) == 0
    assert queue.offer_many(events(80, 30)) == 10
    assert (queue.offered, queue.dropped, len(queue)) == (110, 10, 100)
    assert queue.take_all(keep=40) == events(0, 60) and len(queue) == 40


# -- the backoff ---------------------------------------------------------------------------
def test_backoff_doubles_with_jitter_up_to_its_ceiling():
    backoff = Backoff(initial=0.1, ceiling=0.5)
    delays = [backoff.next_delay() for _ in range(6)]
    for delay, base in zip(delays, [0.1, 0.2, 0.4, 0.5, 0.5, 0.5], strict=True):
        assert 0.5 * base <= delay <= 1.5 * base
    assert backoff.failing_for() >= 0


# -- the batch write: finding what a sink refuses --------------------------------------------
class Picky:
    """Refuses any batch holding an event with ``bad``, the way an encoder raising does."""

    def __init__(self) -> None:
        self.written: list[dict] = []
        self.calls = 0

    def write(self, batch: list[dict]) -> None:
        self.calls += 1
        if any(event.get("bad") for event in batch):
            raise ValueError("cannot encode")
        self.written.extend(batch)


def write_all(work: BatchWrite, write, permanent=lambda error: isinstance(error, ValueError)):
    written, refused = 0, []
    while not work.finished:
        count, events_refused = work.step(write, permanent)
        written += count
        refused += events_refused
    return written, refused


def test_bisection_sets_apart_exactly_the_refused_events_and_keeps_the_order():
    batch = events(0, 500)
    for index in (0, 137, 138, 499):
        batch[index]["bad"] = True
    sink = Picky()
    written, refused = write_all(BatchWrite(batch), sink.write)
    assert [event["seq"] for event, _ in refused] == [0, 137, 138, 499]
    assert {reason for _, reason in refused} == {"ValueError: cannot encode"}
    assert written == 496 and [e["seq"] for e in sink.written] == [
        seq for seq in range(500) if seq not in (0, 137, 138, 499)
    ]
    assert sink.calls < 80  # halving: a few dozen writes, not one per event


def test_a_refusal_naming_its_events_is_settled_without_bisecting():
    def write(batch):
        raise Refused("too large", {1: "too large: 17 MB", 3: "too large: 20 MB"})

    work = BatchWrite(events(0, 5))
    written, refused = write_all(work, write, lambda error: isinstance(error, Refused))
    assert written == 3
    assert [(event["seq"], reason) for event, reason in refused] == [
        (1, "too large: 17 MB"),
        (3, "too large: 20 MB"),
    ]


def test_a_transient_error_during_bisection_keeps_the_pieces_left():
    batch = events(0, 8)
    batch[6]["bad"] = True
    sink, outage = Picky(), {"on": False}

    def write(piece):
        if outage["on"]:
            raise ConnectionError("down")
        sink.write(piece)
        outage["on"] = len(sink.written) == 4  # down right after the first half

    work = BatchWrite(batch)
    with pytest.raises(ConnectionError):
        write_all(work, write)
    assert [e["seq"] for e in work.remaining()] == [4, 5, 6, 7] and work.done == 4
    outage["on"] = False
    written, refused = write_all(work, sink.write)
    assert written == 3
    assert [e["seq"] for e in sink.written] == [0, 1, 2, 3, 4, 5, 7]
    assert [event["seq"] for event, _ in refused] == [6]


# -- the spill ------------------------------------------------------------------------------
def test_cannot_spool_is_said_once_per_spell(tmp_path, caplog):
    directory = tmp_path / "spool"
    spill = Spill(Spool(directory, 1 << 20), "test", batch_size=10)
    shutil.rmtree(directory)
    for start in range(0, 50, 10):
        assert not spill.append(events(start, 10), sync=True)
    assert spill.unkept == 50 and spill.lost == 50
    assert caplog.text.count("cannot spool") == 1
    directory.mkdir()
    assert spill.append(events(50, 10), sync=True)
    assert "spooling works again" in caplog.text
    shutil.rmtree(directory)
    assert not spill.put_back(events(60, 10))  # a new spell, said again
    assert caplog.text.count("cannot spool") == 2


# -- the runner: dead letters, restarts -----------------------------------------------------
class PickySink(Sink):
    def __init__(self) -> None:
        super().__init__(SinkSpec.parse("picky"))
        self.picky = Picky()

    def write(self, events):
        self.picky.write(events)


def runner_for(sink: Sink, tmp_path, dead_letters: DeadLetters | None = None) -> SinkRunner:
    options = DeliveryOptions(
        batch_size=100, max_delay=0.01, retry_initial=0.01, retry_max=0.05, spool_after=0.2
    )
    spool = Spool(tmp_path / "spool", 1 << 24)
    return SinkRunner("picky", sink, options, spool, dead_letters=dead_letters)


def test_refused_events_go_to_the_dead_letter_file_naming_the_sink(tmp_path):
    dead = DeadLetters(str(tmp_path / "dead.jsonl"))
    sink = PickySink()
    runner = runner_for(sink, tmp_path, dead)
    runner.start()
    batch = events(0, 1000)
    batch[250]["bad"] = batch[777]["bad"] = True
    runner.offer_many(batch)
    assert runner.close(10.0)
    dead.close()
    counters = runner.counters
    assert (counters.written, counters.rejected, counters.lost, counters.retried) == (998, 2, 0, 0)
    assert len(sink.picky.written) == 998
    records = [json.loads(line) for line in (tmp_path / "dead.jsonl").read_text().splitlines()]
    assert [r["reason"] for r in records] == [
        "sink 'picky' refused it: ValueError: cannot encode"
    ] * 2
    assert [orjson.loads(base64.b64decode(r["raw_base64"]))["seq"] for r in records] == [250, 777]


def test_a_dying_worker_is_reported_and_restarted_with_its_batch(tmp_path, caplog):
    class DiesOnce(Sink):
        def __init__(self) -> None:
            super().__init__(SinkSpec.parse("dies"))
            self.written: list[dict] = []

        def write(self, events):
            if not self.written and not getattr(self, "died", False):
                self.died = True
                raise SystemExit("a plugin calling sys.exit")
            self.written.extend(events)

    sink = DiesOnce()
    runner = runner_for(sink, tmp_path)
    runner.start()
    runner.offer_many(events(0, 300))
    assert wait_for(lambda: len(sink.written) == 300, timeout=10)
    assert runner.close(5.0)
    assert [e["seq"] for e in sink.written] == list(range(300))
    assert runner.counters.restarts == 1 and "its worker failed with SystemExit" in caplog.text


def test_the_counters_add_up_while_a_sink_is_down_and_after(tmp_path):
    release = threading.Event()

    class Flaky(Sink):
        def __init__(self) -> None:
            super().__init__(SinkSpec.parse("flaky"))

        def write(self, events):
            if not release.is_set():
                raise ConnectionError("down")
            if any(event.get("bad") for event in events):
                raise TypeError("not JSON")

    runner = runner_for(Flaky(), tmp_path)
    runner.start()
    offered = 0
    for start in range(0, 2000, 200):
        batch = events(start, 200)
        batch[0]["bad"] = True
        runner.offer_many(batch)
        offered += 200
        c = runner.counters
        assert c.carried + offered == c.written + c.rejected + c.lost + c.in_spool + c.queued
    assert wait_for(lambda: runner.counters.in_spool > 0)
    release.set()
    assert wait_for(lambda: runner.counters.written == 1990, timeout=20)
    assert runner.close(5.0)
    c = runner.counters
    assert (c.written, c.rejected, c.lost, c.in_spool, c.queued) == (1990, 10, 0, 0, 0)


# -- what counts as permanent ----------------------------------------------------------------
def test_by_default_refusals_of_the_events_are_permanent_and_the_rest_transient():
    sink = PickySink()
    permanent = [Refused("no"), ValueError(), UnicodeEncodeError("utf-8", "x", 0, 1, "bad")]
    permanent += [TypeError(), orjson.JSONEncodeError(), OverflowError(), RecursionError()]
    transient = [OSError(28, "No space left on device"), ConnectionResetError(), TimeoutError()]
    transient += [RuntimeError("busy"), KeyError("x"), Exception("a library's own")]
    assert [sink.is_permanent(error) for error in permanent] == [True] * len(permanent)
    assert [sink.is_permanent(error) for error in transient] == [False] * len(transient)
