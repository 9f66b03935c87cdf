"""Full disks, for real: a small tmpfs mounted by the test, a real collector process, a filler
file that takes the last free bytes and is deleted to give them back.

Nothing may be torn, nothing duplicated, everything written once space returns, and what
could not be kept counted. Mounting needs root (CI runs as root); as anyone else these tests
are skipped, and as root a mount that fails is a failure.
"""

from __future__ import annotations

import uuid

from tests.event_sender import make_events, send
from tests.helpers import LEFT_FREE, figures, fill, last_stats, lines_of, wait_for


def test_a_full_spool_disk_keeps_whole_records_and_replays_everything_it_kept(
    tmp_path, small_disk, start_collector
):
    """Case 4: the sink is down, its spool's disk fills up mid-record, space comes back."""
    disk = small_disk("spool", "8m")
    blocked = tmp_path / "down"
    blocked.write_text("a file where the sink wants a directory: open fails until removed\n")
    out = blocked / "out.jsonl"
    collector = start_collector(
        "--interval", "0", "--stats-interval", "0.2", "--spool-dir", str(disk),
        "--sink", f"file:{out}",
    )  # fmt: skip
    events = make_events(3000, run=uuid.uuid4().hex)
    for event in events[1000:2000]:  # each bigger than the space left: every append is cut short
        event["data"]["pad"] = "x" * (2 * LEFT_FREE)
    stats = lambda: last_stats(collector.stderr).sink("file")  # noqa: E731

    send(collector.endpoint, events[:1000])
    assert wait_for(lambda: stats().get("in_spool") == 1000), collector.stderr
    filler = fill(disk)
    send(collector.endpoint, events[1000:2000])
    assert wait_for(lambda: stats().get("lost") == 1000), collector.stderr
    filler.unlink()
    send(collector.endpoint, events[2000:])
    assert wait_for(lambda: stats().get("in_spool") == 2000), collector.stderr
    blocked.unlink()  # the sink can open now: the spool is replayed

    wait_for(lambda: stats().get("written", 0) >= 2000 or stats().get("in_spool") == 0, 30)
    collector.stop()
    seqs, torn = lines_of(out)
    measured = figures(seqs, torn, len(events), last_stats(collector.stderr).sink("file"))
    assert measured == {
        "sent": 3000,
        "written": 2000,
        "duplicated": 0,
        "torn": 0,
        "lost_counted": 1000,
        "missing": 1000,
    }, (measured, collector.stderr)
    assert sorted(seqs) == list(range(1000)) + list(range(2000, 3000))
    assert "damaged" not in collector.stderr
    assert collector.stderr.count("cannot spool") == 1, collector.stderr  # once per spell


def test_a_full_disk_under_the_file_sink_tears_no_line_and_duplicates_none(
    tmp_path, small_disk, start_collector
):
    """Case 5: the file sink's disk fills up mid-batch; the spool (elsewhere) holds what
    waits; space comes back."""
    disk = small_disk("out", "1m")
    out = disk / "out.jsonl"
    collector = start_collector(
        "--interval", "0", "--stats-interval", "0.2", "--sink", f"file:{out}"
    )
    events = make_events(3000, run=uuid.uuid4().hex)
    stats = lambda: last_stats(collector.stderr).sink("file")  # noqa: E731

    send(collector.endpoint, events[:1000])
    assert wait_for(lambda: stats().get("written") == 1000), collector.stderr
    filler = fill(disk)
    send(collector.endpoint, events[1000:])
    assert wait_for(lambda: stats().get("in_spool", 0) > 0), collector.stderr
    seqs_while_full, torn_while_full = lines_of(out)
    filler.unlink()

    wait_for(lambda: stats().get("written", 0) >= 3000, 30)
    collector.stop()
    seqs, torn = lines_of(out)
    measured = figures(seqs, torn, len(events), last_stats(collector.stderr).sink("file"))
    measured["torn_while_full"] = len(torn_while_full)
    measured["duplicated_while_full"] = len(seqs_while_full) - len(set(seqs_while_full))
    assert measured == {
        "sent": 3000,
        "written": 3000,
        "duplicated": 0,
        "torn": 0,
        "lost_counted": 0,
        "missing": 0,
        "torn_while_full": 0,
        "duplicated_while_full": 0,
    }, (measured, collector.stderr)
    assert seqs == list(range(3000))  # in order, too


def test_one_full_disk_under_the_sink_and_its_spool_counts_every_event_it_could_not_keep(
    small_disk, start_collector
):
    """Cases 4 and 5 at once: the file and the spool share the disk that fills up."""
    disk = small_disk("both", "2m")
    out = disk / "out.jsonl"
    collector = start_collector(
        "--interval", "0", "--stats-interval", "0.2", "--spool-dir", str(disk / "spool"),
        "--sink", f"file:{out}",
    )  # fmt: skip
    events = make_events(4000, run=uuid.uuid4().hex)
    stats = lambda: last_stats(collector.stderr).sink("file")  # noqa: E731

    send(collector.endpoint, events[:1000])
    assert wait_for(lambda: stats().get("written") == 1000), collector.stderr
    filler = fill(disk)
    send(collector.endpoint, events[1000:3000])
    assert wait_for(lambda: stats().get("lost", 0) > 0), collector.stderr
    filler.unlink()
    send(collector.endpoint, events[3000:])
    wait_for(lambda: stats().get("written", 0) + stats().get("lost", 0) >= 4000, 30)
    collector.stop()
    seqs, torn = lines_of(out)
    measured = figures(seqs, torn, len(events), last_stats(collector.stderr).sink("file"))
    assert measured["duplicated"] == 0 and measured["torn"] == 0, measured
    assert measured["missing"] == measured["lost_counted"] > 0, (measured, collector.stderr)
    assert seqs == sorted(seqs)
    assert set(range(1000)) | set(range(3000, 4000)) <= set(seqs)  # before, and after
