"""An fsync that fails, for real: the file sink writes to a FUSE file system whose ``fsync``
(and, in the second case, truncation) answer EIO while the test says so
(tests/programs/failing_fsync_fs.py), under a real collector process.

A batch whose fsync failed is not counted written and is retried; the file must hold it once
when the fsync works again, never once per attempt.
"""

from __future__ import annotations

import uuid

from tests.event_sender import make_events, send
from tests.helpers import last_stats, wait_for
from tests.test_full_disk import figures, lines_of


def test_a_batch_whose_fsync_fails_is_written_once_when_the_retry_succeeds(
    failing_disk, start_collector
):
    out = failing_disk.path / "out.jsonl"
    collector = start_collector(
        "--interval", "0", "--stats-interval", "0.2", "--sink", f"file:{out}?fsync=batch",
    )  # fmt: skip
    events = make_events(1500, run=uuid.uuid4().hex)
    stats = lambda: last_stats(collector.stderr).sink("file")  # noqa: E731

    send(collector.endpoint, events[:500])
    assert wait_for(lambda: stats().get("written") == 500), collector.stderr
    failing_disk.fail("fsync")
    send(collector.endpoint, events[500:1000])
    assert wait_for(lambda: stats().get("retried", 0) >= 3), collector.stderr
    seqs_while_failing, _ = lines_of(out)
    written_while_failing = stats().get("written")
    failing_disk.fail()
    send(collector.endpoint, events[1000:])

    wait_for(lambda: stats().get("written", 0) >= 1500, 30)
    collector.stop()
    seqs, torn = lines_of(out)
    measured = figures(seqs, torn, len(events), last_stats(collector.stderr).sink("file"))
    measured["written_while_failing"] = written_while_failing
    measured["in_file_while_failing"] = len(seqs_while_failing)
    assert measured == {
        "sent": 1500,
        "written": 1500,
        "duplicated": 0,
        "torn": 0,
        "lost_counted": 0,
        "missing": 0,
        "written_while_failing": 500,
        "in_file_while_failing": 500,
    }, (measured, collector.stderr)
    assert seqs == list(range(1500))  # in order, too
    assert "write failed: OSError(5, 'Input/output error')" in collector.stderr


def test_a_batch_whose_fsync_and_truncation_fail_is_cut_back_before_the_next_append(
    failing_disk, start_collector
):
    """The lines stay in the file while nothing can cut them: reported, not counted written,
    and cut away before the retry appends them, so the file still ends with each once."""
    out = failing_disk.path / "out.jsonl"
    collector = start_collector(
        "--interval", "0", "--stats-interval", "0.2", "--sink", f"file:{out}?fsync=batch",
    )  # fmt: skip
    events = make_events(1500, run=uuid.uuid4().hex)
    stats = lambda: last_stats(collector.stderr).sink("file")  # noqa: E731

    send(collector.endpoint, events[:500])
    assert wait_for(lambda: stats().get("written") == 500), collector.stderr
    failing_disk.fail("fsync", "truncate")
    send(collector.endpoint, events[500:1000])
    waiting = lambda counts: counts.get("queued", 0) + counts.get("in_spool", 0)  # noqa: E731
    assert wait_for(lambda: stats().get("retried", 0) >= 3 and waiting(stats()) == 500), (
        collector.stderr
    )
    seqs_while_failing, _ = lines_of(out)
    written_while_failing = stats().get("written")
    failing_disk.fail()
    send(collector.endpoint, events[1000:])

    wait_for(lambda: stats().get("written", 0) >= 1500, 30)
    collector.stop()
    seqs, torn = lines_of(out)
    measured = figures(seqs, torn, len(events), last_stats(collector.stderr).sink("file"))
    measured["written_while_failing"] = written_while_failing
    assert measured == {
        "sent": 1500,
        "written": 1500,
        "duplicated": 0,
        "torn": 0,
        "lost_counted": 0,
        "missing": 0,
        "written_while_failing": 500,
    }, (measured, collector.stderr)
    assert seqs == list(range(1500))
    # While nothing could cut it, the file held the first failed attempt once, never a retry.
    assert 500 < len(seqs_while_failing) <= 1000, seqs_while_failing
    assert seqs_while_failing == list(range(len(seqs_while_failing)))
    assert "Input/output error; and it cannot be truncated back: Input/output error" in (
        collector.stderr
    )
