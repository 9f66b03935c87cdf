"""MongoDB going away: a crash mid-stream, and a collector stopped while the server is down."""

from __future__ import annotations

import threading
import time

import pytest

from tests.event_sender import make_events, send
from tests.helpers import last_stats, wait_for
from tests.mongo_server import (
    collection_of,
    count,
    distinct_run_seq,
    external_server,
    fresh_name,
)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(180),
    pytest.mark.skipif(bool(external_server()), reason="needs a server the test can kill"),
]


def test_server_killed_mid_stream_and_back_10s_later(start_collector, mongo_servers):
    server = mongo_servers(sync_on_commit=True)
    # attempts fail within a second, so that several fail during the outage however loaded
    # the machine is, and the sink is seen down (and spools) before the server is back
    spec = server.uri(collection=fresh_name(), serverSelectionTimeoutMS="1000")
    collector = start_collector("--interval", "0", "--stats-interval", "1", "--sink", spec)
    events = make_events(12_000)
    sender = threading.Thread(target=send, args=(collector.endpoint, events, 800))
    sender.start()
    collection = collection_of(spec)
    assert wait_for(lambda: count(collection) >= 1000, timeout=60, interval=0.2)
    server.kill()
    killed = time.monotonic()
    time.sleep(10)
    server.start()
    sender.join(timeout=60)
    assert not sender.is_alive()
    assert wait_for(lambda: count(collection) >= 12_000, 120, interval=1.0), collector.stderr
    assert distinct_run_seq(collection) == 12_000
    assert collector.stop() == 0, collector.stderr
    stats = last_stats(collector.stderr).sink("mongodb")
    print("\n" + [line for line in collector.stderr.splitlines() if "stats:" in line][-1])
    assert stats["retried"] > 0 and stats["spooled"] > 0, collector.stderr
    assert stats["replayed"] == stats["spooled"] and stats["lost"] == 0
    assert time.monotonic() - killed >= 10


def test_collector_stopped_while_server_down_replays_its_spool_next_run(
    tmp_path, start_collector, mongo_servers
):
    server = mongo_servers(sync_on_commit=True)
    spec = server.uri(collection=fresh_name())
    args = ("--interval", "0", "--sink", spec)
    events = make_events(3000)
    first = start_collector(*args)
    send(first.endpoint, events[:1000])
    collection = collection_of(spec)
    assert wait_for(lambda: count(collection) == 1000, timeout=60, interval=0.2)
    server.kill()
    send(first.endpoint, events[1000:])
    assert first.stop() == 0, first.stderr
    assert last_stats(first.stderr).sink("mongodb")["in_spool"] == 2000, first.stderr
    assert list((tmp_path / "hotprobe-spool").glob("*/*.spool"))

    server.start()
    second = start_collector(*args)
    assert wait_for(lambda: count(collection) >= 3000, timeout=60, interval=0.5), second.stderr
    assert distinct_run_seq(collection) == 3000
    assert second.stop() == 0
    assert last_stats(second.stderr).sink("mongodb")["replayed"] == 2000
    assert not (tmp_path / "hotprobe-spool").exists()
