"""An fsync that fails, for real: the file sink writes to a FUSE file system whose ``fsync``
(and, in the second case, truncation) answer EIO while the test says so
(tests/programs/failing_fsync_fs.py), under a real collector process.

A batch whose fsync failed is not counted written and is retried; the file must hold it once
when the fsync works again, never once per attempt.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass

from tests.event_sender import make_events, send
from tests.helpers import figures, last_stats, lines_of, wait_for

SENT = 1500
UNFAILED = {"sent": SENT, "written": SENT, "duplicated": 0, "torn": 0, "lost_counted": 0}


@dataclass
class FailedFsync:
    measured: dict  # ``figures`` of the file at the end, and ``written_while_failing``
    seqs: list[int]  # the file's lines at the end
    seqs_while_failing: list[int]  # and while the failures were on
    stderr: str


def through_failing_fsync(
    failing_disk, start_collector, failures: tuple[str, ...], failed: Callable[[dict], bool]
) -> FailedFsync:
    """1,500 events to a file sink with ``fsync=batch``: 500, then 500 while ``failures`` fail
    until ``failed(sink counts)``, then 500 once everything works again."""
    out = failing_disk.path / "out.jsonl"
    collector = start_collector(
        "--interval", "0", "--stats-interval", "0.2", "--sink", f"file:{out}?fsync=batch",
    )  # fmt: skip
    events = make_events(SENT, run=uuid.uuid4().hex)
    stats = lambda: last_stats(collector.stderr).sink("file")  # noqa: E731

    send(collector.endpoint, events[:500])
    assert wait_for(lambda: stats().get("written") == 500), collector.stderr
    failing_disk.fail(*failures)
    send(collector.endpoint, events[500:1000])
    assert wait_for(lambda: failed(stats())), collector.stderr
    seqs_while_failing, _ = lines_of(out)
    written_while_failing = stats().get("written")
    failing_disk.fail()
    send(collector.endpoint, events[1000:])

    assert wait_for(lambda: stats().get("written", 0) >= SENT, 30), collector.stderr
    assert collector.stop() == 0, collector.stderr
    seqs, torn = lines_of(out)
    measured = figures(seqs, torn, SENT, last_stats(collector.stderr).sink("file"))
    measured["written_while_failing"] = written_while_failing
    return FailedFsync(measured, seqs, seqs_while_failing, collector.stderr)


def test_a_batch_whose_fsync_fails_is_written_once_when_the_retry_succeeds(
    failing_disk, start_collector
):
    run = through_failing_fsync(
        failing_disk, start_collector, ("fsync",), lambda s: s.get("retried", 0) >= 3
    )
    assert run.measured == {**UNFAILED, "missing": 0, "written_while_failing": 500}, (
        run.measured,
        run.stderr,
    )
    assert run.seqs == list(range(SENT))  # in order, too
    assert "write failed: OSError(5, 'Input/output error')" in run.stderr


def test_a_batch_whose_fsync_and_truncation_fail_is_cut_back_before_the_next_append(
    failing_disk, start_collector
):
    """The lines stay in the file while nothing can cut them: reported, not counted written,
    and cut away before the retry appends them, so the file still ends with each once."""

    def waiting(counts: dict) -> int:
        return counts.get("queued", 0) + counts.get("in_spool", 0)

    run = through_failing_fsync(
        failing_disk,
        start_collector,
        ("fsync", "truncate"),
        lambda s: s.get("retried", 0) >= 3 and waiting(s) == 500,
    )
    assert run.measured == {**UNFAILED, "missing": 0, "written_while_failing": 500}, (
        run.measured,
        run.stderr,
    )
    assert run.seqs == list(range(SENT))
    # While nothing could cut it, the file held the first failed attempt once, never a retry.
    assert 500 < len(run.seqs_while_failing) <= 1000, run.seqs_while_failing
    assert run.seqs_while_failing == list(range(len(run.seqs_while_failing)))
    assert "Input/output error; and it cannot be truncated back: Input/output error" in (run.stderr)
