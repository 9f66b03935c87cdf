"""The probe's state stays bounded: mark streams and ``seq`` counters are kept for the most
recently used names only, and a forgotten name starts again at seq 0 (a step back, never a
gap: gaps keep meaning loss)."""

from __future__ import annotations

from probe._marks import NAMES_KEPT
from probe._sender import Sequences
from tests.helpers import read_jsonl, run_program, wait_for


def test_sequences_keep_the_most_recently_used_names():
    sequences = Sequences(kept=2)
    # "b" is the least recently used name when "c" comes, "c" when "b" comes back
    assert [sequences.take(name) for name in ["a", "a", "b", "a", "c", "a", "b"]] == [
        0, 1, 0, 2, 0, 3, 0,
    ]  # fmt: skip
    assert len(sequences) == 2


def test_emit_with_a_new_name_every_time_stays_bounded(tmp_path, start_collector):
    out = tmp_path / "events.jsonl"
    collector = start_collector("--interval", "0", "--sink", f"file:{out}")
    result = run_program(
        "many_mark_names", str(NAMES_KEPT), endpoint=collector.endpoint, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert int(result.stdout) == NAMES_KEPT

    def named(name):
        return [(e["seq"], e["n"]) for e in read_jsonl(out) if e["probe"] == name]

    assert wait_for(lambda: len(named("kept")) == 2 + (NAMES_KEPT + 99) // 100), named("kept")
    kept = named("kept")
    assert kept == [(i, i + 1) for i in range(len(kept))]  # never forgotten: no step back
    assert named("forgotten") == [(0, 1), (0, 1)]  # forgotten: starts afresh
    assert collector.stop() == 0
