"""Arbitrary bytes and arbitrary JSON thrown at running collectors: they never die, every
message is dispatched or dead-lettered, and the counts add up."""

from __future__ import annotations

import base64
from datetime import timezone

import orjson
import zmq
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers import last_stats, read_jsonl, wait_for

settings.register_profile(
    "collector-fuzz",
    max_examples=300,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)

SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**64 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
)
JSON = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
TIMESTAMPS = (
    st.datetimes(timezones=st.none() | st.just(timezone.utc)).map(lambda d: d.isoformat())
    | st.text(max_size=40)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.integers(-(2**63), 2**63 - 1)
    | JSON
)
EVENT_LIKE = st.fixed_dictionaries(
    {},
    optional={
        "timestamp": TIMESTAMPS,
        "probe": JSON,
        "host": JSON,
        "pid": JSON,
        "event": st.sampled_from(["start", "progress", "end", "error", "mark"]) | JSON,
        "n": JSON,
    },
)
MESSAGES = st.lists(
    st.binary(max_size=300)
    | st.text(max_size=100).map(str.encode)
    | JSON.map(orjson.dumps)
    | EVENT_LIKE.map(orjson.dumps),
    min_size=1,
    max_size=5,
)


def test_fuzzed_input_never_kills_the_collector_and_every_message_is_accounted_for(
    tmp_path, start_collector
):
    everything, filtered = tmp_path / "all.jsonl", tmp_path / "filtered.jsonl"
    dead_all, dead_filtered = tmp_path / "dead-all.jsonl", tmp_path / "dead-filtered.jsonl"
    keep_all = start_collector(
        "--interval",
        "0",
        "--sink",
        f"file:{everything}",
        "--dead-letter",
        str(dead_all),
        "--stats-interval",
        "0.2",
    )
    thin = start_collector(
        "--interval",
        "0.001",
        "--trailing",
        "--sink",
        f"file:{filtered}",
        "--dead-letter",
        str(dead_filtered),
        "--stats-interval",
        "0.2",
    )
    context = zmq.Context()
    sockets = []
    for collector in (keep_all, thin):
        sock = context.socket(zmq.PAIR)
        sock.setsockopt(zmq.SNDTIMEO, 10_000)
        sock.setsockopt(zmq.LINGER, 10_000)
        sock.connect(collector.endpoint)
        sockets.append(sock)
    sent: list[bytes] = []

    @settings(settings.get_profile("collector-fuzz"))
    @given(MESSAGES)
    def throw(messages: list[bytes]) -> None:
        for message in messages:
            for sock in sockets:
                sock.send(message)
            sent.append(message)

    try:
        throw()
    finally:
        for sock in sockets:
            sock.close()
        context.term()

    total = len(sent)
    for collector in (keep_all, thin):
        assert wait_for(lambda c=collector: f"received={total} " in c.stderr, 60), collector.stderr
        assert collector.proc.poll() is None, collector.stderr
        assert collector.stop() == 0, collector.stderr

    counts = last_stats(keep_all.stderr).counts
    dispatched, dead = read_jsonl(everything), read_jsonl(dead_all)
    assert counts["received"] == total == len(dispatched) + len(dead)
    assert (counts["kept"], counts["suppressed"], counts["rejected"]) == (
        len(dispatched),
        0,
        len(dead),
    )
    assert all(isinstance(event, dict) and "timestamp" in event for event in dispatched)
    rejected = [base64.b64decode(record["raw_base64"]) for record in dead]
    assert all(record["reason"] for record in dead)
    assert set(rejected) <= set(sent)

    counts = last_stats(thin.stderr).counts
    assert counts["received"] == total
    assert counts["kept"] + counts["suppressed"] + counts["rejected"] == total
    assert counts["kept"] == len(read_jsonl(filtered))
    assert counts["rejected"] == len(read_jsonl(dead_filtered)) == len(dead)
