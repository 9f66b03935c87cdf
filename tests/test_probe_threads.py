"""Several threads share the process's one socket: no corrupted message, no lost stream."""

from __future__ import annotations

import json
from collections import defaultdict

from tests.helpers import last_stats, read_jsonl, run_program, wait_for

THREADS = 8
CALLS = 20_000


def test_threads_using_the_probe_at_once(tmp_path, start_collector):
    out = tmp_path / "events.jsonl"
    collector = start_collector("--interval", "0", "--sink", f"file:{out}")
    result = run_program("shared_threads", str(THREADS), str(CALLS), endpoint=collector.endpoint)
    assert result.returncode == 0, result.stderr
    stats = json.loads(result.stdout)
    assert stats["dropped"] == 0

    def ended():
        return {e["probe"] for e in read_jsonl(out) if e["event"] == "end"}

    assert wait_for(lambda: len(ended()) == 1 + 2 * THREADS), ended()
    assert collector.stop() == 0
    assert last_stats(collector.stderr).counts["rejected"] == 0, collector.stderr

    streams = defaultdict(list)
    for event in read_jsonl(out):
        streams[event["probe"]].append(event)
    assert [e["event"] for e in streams.pop("<run>")] == ["run"]
    assert len(streams) == 1 + 3 * THREADS
    for name, events in streams.items():
        assert [e["seq"] for e in events] == list(range(len(events))), name
    shared = streams["shared"]
    assert shared[0]["event"] == "start" and shared[-1]["event"] == "end"
    assert sum(e["event"] == "start" for e in shared) == 1
    # ``stream.n += 1`` has no switch point of CPython's GIL between its load and its store
    assert shared[-1]["n"] == THREADS * CALLS
    for k in range(THREADS):
        for name, n in ((f"iterate-{k}", 50_000), (f"progress-{k}", 3000)):
            kinds = [e["event"] for e in streams[name]]
            assert kinds[0] == "start" and kinds[-1] == "end", name
            assert streams[name][-1]["n"] == n, name
        assert streams[f"progress-{k}"][-1]["data"] == {"thread": k}
        assert [e["data"]["i"] for e in streams[f"mark-{k}"]] == list(range(200))
