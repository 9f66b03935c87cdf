"""Arbitrary JSON values (any depth, any size up to the bound, any timestamp text) sent between
marked good events into the file and MongoDB sinks of one real collector: every good event
arrives in both, every other message is written or rejected with a reason, nothing is lost."""

from __future__ import annotations

import base64
import uuid
from datetime import datetime, timedelta, timezone

import orjson
import pytest
import zmq
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from collector.pipeline.decode import decode
from collector.pipeline.event import Rejected
from probe.protocol import MAX_DEPTH, MAX_EVENT_BYTES, fan_in_endpoint
from tests.helpers import client, last_stats, read_jsonl
from tests.mongo_server import collection_of, fresh_name

pytestmark = pytest.mark.timeout(300)

RUN = uuid.uuid4().hex
MARKER = "good-marker"

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**64 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
depths = st.one_of(
    st.integers(0, 5), st.integers(MAX_DEPTH - 3, MAX_DEPTH + 3), st.integers(0, 300)
)
offsets = st.integers(-1439, 1439).map(lambda minutes: timezone(timedelta(minutes=minutes)))
timestamps = st.one_of(
    st.text(max_size=40),
    st.datetimes(timezones=offsets).map(lambda moment: moment.isoformat()),
    st.datetimes().map(lambda moment: moment.isoformat()),
    st.sampled_from(["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-05:00", "now", ""]),
    st.integers(-(2**40), 2**40),
    st.floats(allow_nan=False),
)
sizes = st.one_of(
    st.just(0), st.integers(0, 1000), st.sampled_from([MAX_EVENT_BYTES - 200, MAX_EVENT_BYTES + 1])
)


def nested(raw: bytes, depth: int, in_lists: bool) -> bytes:
    """``raw`` (a JSON text) nested ``depth`` levels deeper, written as text: orjson would
    refuse to write past 254 levels."""
    if in_lists:
        return b"[" * depth + raw + b"]" * depth
    return b'{"k":' * depth + raw + b"}" * depth


@st.composite
def messages(draw) -> bytes:
    """One message: a JSON value, maybe deep, maybe an object with a timestamp, maybe padded
    to near the size bound or past it; or text that is not JSON."""
    if draw(st.integers(0, 9)) == 0:
        return draw(st.text(max_size=50)).encode() + b"\xff" * draw(st.integers(0, 1))
    value = nested(orjson.dumps(draw(values)), draw(depths), draw(st.booleans()))
    if not draw(st.booleans()):
        return value
    event = {"probe": draw(st.text(max_size=10))}
    if draw(st.booleans()):
        event["timestamp"] = draw(timestamps)
    if draw(st.booleans()):
        event["_id"] = draw(values)
    padding = draw(sizes) - len(value)
    if padding > 0:
        event["pad"] = "x" * padding
    return orjson.dumps(event)[:-1] + b',"data":' + value + b"}"


def marker(seq: int) -> bytes:
    moment = datetime.now(timezone.utc).isoformat()
    event = {"probe": MARKER, "run": RUN, "host": "fuzz", "pid": 1, "seq": seq, "event": "mark"}
    return orjson.dumps({**event, "timestamp": moment})


def test_arbitrary_values_between_good_events_are_written_or_rejected(
    tmp_path, start_collector, mongo_spec
):
    out, spec = tmp_path / "out.jsonl", mongo_spec(fresh_name())
    # every dead letter in one file: a few of them are 2 MiB, which the default bound rotates
    collector = start_collector(
        "--interval", "0", "--max-message-size", "4MiB", "--dead-letter-max-bytes", "1GiB",
        "--sink", f"file:{out}", "--sink", spec,
    )  # fmt: skip
    examples: list[list[bytes]] = []
    with client(fan_in_endpoint(collector.endpoint), zmq.PUSH, timeout=30) as push:

        @settings(
            max_examples=60, deadline=None, database=None, suppress_health_check=list(HealthCheck)
        )
        @given(st.lists(messages(), min_size=1, max_size=6))
        def send_example(raws: list[bytes]) -> None:
            seq = 2 * len(examples)
            examples.append(raws)
            for message in [marker(seq), *raws, marker(seq + 1)]:
                push.send(message)

        send_example()
    assert collector.stop() == 0, collector.stderr[-3000:]

    lines = read_jsonl(out)
    marks = [index for index, line in enumerate(lines) if line.get("probe") == MARKER]
    assert [lines[index]["seq"] for index in marks] == list(range(2 * len(examples)))
    dead = [
        base64.b64decode(r["raw_base64"])
        for r in read_jsonl(tmp_path / "hotprobe-dead-letter.jsonl")
    ]
    expected_dead: list[bytes] = []
    for number, raws in enumerate(examples):
        accepted = [raw for raw in raws if not isinstance(decode(raw, 0.0), Rejected)]
        expected_dead += [raw for raw in raws if isinstance(decode(raw, 0.0), Rejected)]
        between = lines[marks[2 * number] + 1 : marks[2 * number + 1]]
        assert len(between) == len(accepted), (raws, between)
    assert dead[: len(expected_dead)] == expected_dead  # in arrival order, each with its bytes
    sent = sum(len(raws) + 2 for raws in examples)
    written = len(lines)

    collection = collection_of(spec)
    markers = {doc["seq"] for doc in collection.find({"probe": MARKER, "run": RUN})}
    assert markers == set(range(2 * len(examples)))
    stats = last_stats(collector.stderr)
    received, sinks = stats.counts, stats.sinks
    assert received["received"] == sent
    assert received["kept"] == written and received["rejected"] == len(expected_dead)
    file_sink, mongo_sink = sinks[f"file:{out}"], sinks[spec]
    assert (file_sink["written"], file_sink["rejected"], file_sink["lost"]) == (written, 0, 0)
    assert mongo_sink["written"] + mongo_sink["rejected"] == written and mongo_sink["lost"] == 0
    assert collection.count_documents({}) == mongo_sink["written"]
    assert len(dead) == len(expected_dead) + mongo_sink["rejected"]  # each with its reason
