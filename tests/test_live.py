"""The live sink: known events rendered to a recorded rich console, with an injected clock."""

from __future__ import annotations

import io
import re

import pytest
from rich.console import Console

from collector import registry as registry_module
from collector.cli import main
from collector.testing import sink_spec
from plugins.live import LiveSink
from tests.helpers import sink_event as event


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def recorded_console(width: int = 150, terminal: bool = False) -> Console:
    return Console(record=True, width=width, height=40, file=io.StringIO(), force_terminal=terminal)


def rendered(sink: LiveSink, width: int = 150) -> list[str]:
    console = recorded_console(width)
    console.print(sink.renderable())
    return console.export_text().splitlines()


def row(lines: list[str], probe: str) -> list[str]:
    """The cells of the row for ``probe``, split on runs of two or more spaces."""
    matches = [line for line in lines if line.split()[:1] == [probe]]
    assert len(matches) == 1, f"one row for {probe} expected in:\n" + "\n".join(lines)
    return re.split(r"\s{2,}", matches[0].strip())


@pytest.fixture
def clock() -> Clock:
    return Clock()


def make_sink(clock: Clock, options: str = "stalled_after=5") -> LiveSink:
    return LiveSink(sink_spec(f"live?{options}"), console=recorded_console(), clock=clock)


def test_rows_show_progress_rate_eta_and_states(clock: Clock) -> None:
    sink = make_sink(clock)
    sink.write(
        [
            event("load", "start", 0, 1000, elapsed=0.0),
            event("load", "progress", 250, 1000, elapsed=1.0, rate=250.0, data={"loss": 0.5}),
            event("solve", "start", 0, 50, elapsed=0.0),
            event("solve", "end", 50, 50, elapsed=10.0),
            event("fit", "progress", 7, None, elapsed=1.0, rate=7.0),
            event("fit", "error", 7, None, error={"type": "ValueError", "message": "bad x"}),
            event("result", "mark", 1, None, data={"pi": 3.14159}),
        ]
    )
    clock.now += 2.0
    lines = rendered(sink)
    assert lines[0].split() == ["probe", "host:pid", "n/total", "rate", "ETA", "last", "status"]
    assert row(lines, "load") == [
        "load",
        "lab:41",
        "250/1,000",
        row(lines, "load")[3],  # the bar: drawn, checked below
        "250.0/s",
        "3.0s",
        "2.0s ago",
        "running",
        "loss=0.5",
    ]
    assert "━" in row(lines, "load")[3]
    assert row(lines, "solve")[2:] == [
        "50/50",
        row(lines, "solve")[3],
        "5.0/s",  # average rate of a finished stream
        "-",
        "2.0s ago",
        "done",
    ]
    assert row(lines, "fit")[2:] == ["7", "7.0/s", "-", "2.0s ago", "failed", "ValueError: bad x"]
    assert row(lines, "result")[-2:] == ["noted", "pi=3.14159"]
    assert lines[-1] == "4 streams: 1 running, 1 failed, 1 done, 1 noted · 7 events"


def test_a_quiet_stream_turns_stalled_and_recovers(clock: Clock) -> None:
    sink = make_sink(clock)
    sink.write([event("slow", "progress", 3, 10, rate=1.0), event("busy", "progress", 1, 10)])
    clock.now += 4.5
    sink.write([event("busy", "progress", 2, 10, rate=1.0)])
    assert row(rendered(sink), "slow")[-1] == "running"
    clock.now += 0.5
    lines = rendered(sink)
    assert row(lines, "slow")[-2:] == ["5.0s ago", "stalled"]
    assert row(lines, "slow")[-3] == "-", "a stalled stream has no ETA"
    assert row(lines, "busy")[-1] == "running"
    assert lines[-1].startswith("2 streams: 1 running, 1 stalled")
    sink.write([event("slow", "progress", 4, 10, rate=1.0)])
    assert row(rendered(sink), "slow")[-1] == "running"


def test_a_quiet_stream_of_calls_is_idle_not_stalled(clock: Clock) -> None:
    sink = make_sink(clock)
    sink.write(
        [
            event("step", "progress", 98, 100, rate=50.0, unit="call"),
            event("loop", "progress", 98, 100, rate=50.0, unit="it"),
        ]
    )
    clock.now += 60
    lines = rendered(sink)
    assert row(lines, "step")[-1] == "idle"  # its function is not being called
    assert row(lines, "loop")[-1] == "stalled"
    assert lines[-1].startswith("2 streams: 1 stalled, 1 idle")
    sink.write([event("step", "progress", 99, 100, rate=1.0, unit="call")])
    assert row(rendered(sink), "step")[-1] == "running"


def test_a_stream_of_calls_ended_at_exit_keeps_its_recent_rate(clock: Clock) -> None:
    sink = make_sink(clock)
    sink.write(
        [
            event("step", "progress", 900, None, elapsed=1.8, rate=500.0, unit="call"),
            event("step", "end", 1000, None, elapsed=100.0, unit="call"),  # idle, then exit
            event("loop", "progress", 900, 1000, elapsed=1.8, rate=500.0, unit="it"),
            event("loop", "end", 1000, 1000, elapsed=2.0, unit="it"),
        ]
    )
    lines = rendered(sink)
    assert row(lines, "step")[1:4] == ["lab:41", "1,000", "500.0/s"]  # not 10.0/s
    assert row(lines, "loop")[4] == "500.0/s"  # 1000 in 2 s: the average over its life


def test_runs_are_described_above_the_rows_not_as_rows(clock: Clock) -> None:
    sink = make_sink(clock)
    start = {
        "phase": "start",
        "argv": ["train.py", "--lr", "\x1b[31m0.1"],
        "git": {"commit": "0123456789abcdef", "branch": "main", "dirty": True},
        "labels": {"model": "small"},
    }
    sink.write(
        [
            event("<run>", "run", 0, info=start),
            event("fit", "progress", 3, 10, rate=1.0),
            event("<run>", "run", 0, info={"phase": "end", "status": 3, "duration": 12.5}),
        ]
    )
    lines = rendered(sink)
    assert "\x1b" not in lines[0]  # inert: the escape is shown, never sent to the terminal
    assert lines[0].startswith("run r1 · exit 3 after 12.5s · train.py --lr \\x1b[31m0.1")
    assert lines[0].endswith("· git 0123456789* · model=small")
    assert not any(line.split()[:1] == ["<run>"] for line in lines)
    assert lines[-1] == "1 streams: 1 running · 3 events"


def test_finished_streams_never_stall(clock: Clock) -> None:
    sink = make_sink(clock)
    sink.write([event("a", "end", 5, 5, elapsed=1.0), event("b", "error", 1, 5, error="boom")])
    clock.now += 60
    lines = rendered(sink)
    assert row(lines, "a")[-1] == "done"
    assert row(lines, "b")[-2:] == ["failed", "boom"]


def test_a_failed_call_on_a_running_stream_is_shown_with_its_error(clock: Clock) -> None:
    sink = make_sink(clock)
    error = {"type": "KeyError", "message": "'x'"}
    sink.write([event("step", "error", 3, error=error), event("step", "progress", 9, rate=2.0)])
    assert row(rendered(sink), "step")[-2:] == ["running", "1 error: KeyError: 'x'"]


def test_a_restarted_stream_starts_afresh(clock: Clock) -> None:
    sink = make_sink(clock)
    sink.write(
        [
            event("batch", "start", 0, 10),
            event("batch", "end", 10, 10, elapsed=2.0),
            event("batch", "start", 0, 10),
        ]
    )
    assert row(rendered(sink), "batch")[2:4] == ["0/10", row(rendered(sink), "batch")[3]]
    assert row(rendered(sink), "batch")[-1] == "running"


def test_events_from_other_clients_get_a_row(clock: Clock) -> None:
    sink = make_sink(clock)
    sink.write([{"apples": 3, "timestamp": "2026-11-27T00:00:00+00:00"}, {"message": "ping"}])
    assert row(rendered(sink), "(no")[:3] == ["(no probe)", "-", "2"]


def test_many_streams_show_the_ones_that_matter_and_count_the_rest(clock: Clock) -> None:
    sink = make_sink(clock, "max_rows=10")
    events = [event(f"job{i:03d}", "end", 5, 5, elapsed=1.0) for i in range(90)]
    events += [event(f"job{i:03d}", "progress", 1, 5, rate=1.0) for i in range(90, 98)]
    events += [event("job050", "error", 2, 5, error="disk full"), event("x", "progress", 1)]
    sink.write(events)
    lines = rendered(sink)
    rows = [line.split()[0] for line in lines[1:-2]]
    assert len(rows) == 10
    assert rows[0] == "job050", "a failed stream is kept on screen, in first-seen order"
    assert rows[1:] == [f"job{i:03d}" for i in range(90, 98)] + ["x"]
    assert lines[-2] == "… and 89 done not shown"
    assert lines[-1] == "99 streams: 9 running, 1 failed, 89 done · 100 events"


def test_the_terminal_height_limits_the_rows(clock: Clock) -> None:
    console = Console(width=120, height=12, file=io.StringIO(), force_terminal=True)
    sink = LiveSink(sink_spec("live"), console=console, clock=clock)
    sink.write([event(f"s{i}", "progress", 1, 2) for i in range(50)])
    recorder = recorded_console(120)
    recorder.print(sink.renderable())
    lines = recorder.export_text().splitlines()
    assert len(lines) == 12
    assert lines[-2] == "… and 41 running not shown"


def test_open_and_close_leave_the_last_frame_and_show_the_cursor(clock: Clock) -> None:
    console = Console(width=120, height=30, file=io.StringIO(), force_terminal=True)
    sink = LiveSink(sink_spec("live?refresh=20"), console=console, clock=clock)
    sink.open()
    sink.write([event("solve", "start", 0, 4), event("solve", "end", 4, 4, elapsed=1.0)])
    sink.close()
    output = console.file.getvalue()
    assert output.count("\x1b[?25l") == 1, "the cursor is hidden while the view runs"
    assert output.rstrip("\n").endswith("\x1b[?25h"), "and shown again at the end"
    assert "done" in output.rsplit("\x1b[?25l", 1)[-1]


def test_not_a_terminal_gets_the_final_frame_only(clock: Clock) -> None:
    console = Console(width=120, file=io.StringIO())
    sink = LiveSink(sink_spec("live"), console=console, clock=clock)
    sink.open()
    sink.write([event("solve", "end", 4, 4, elapsed=1.0)])
    sink.close()
    output = console.file.getvalue()
    assert "\x1b[" not in output
    assert re.search(r"solve\s+lab:41\s+4/4", output)


def test_live_is_a_registered_sink_with_options() -> None:
    sink_type = registry_module.load().sink_type("live")
    assert sink_type.plugin == "plugins.live"
    assert {"refresh", "stalled_after", "max_rows"} <= set(sink_type.options)


def test_options_follow_the_scheme_without_a_target() -> None:
    spec = sink_spec("live?refresh=2&stalled_after=30")
    assert (spec.scheme, spec.target) == ("live", "")
    sink = LiveSink(spec)
    assert (sink.refresh, sink.board.stalled_after) == (2.0, 30.0)


@pytest.mark.parametrize("option", ["refresh=0", "stalled_after=-1", "max_rows=many", "max_rows=0"])
def test_bad_options_are_a_usage_error(option: str, capsys) -> None:
    assert main(["collect", "--sink", f"live?{option}"]) == 2
    name, value = option.split("=")
    assert f"option {name}={value!r}" in capsys.readouterr().err


def test_the_rows_on_screen_stay_put_while_others_update(clock: Clock) -> None:
    sink = make_sink(clock, "max_rows=3")
    sink.write([event(f"s{i}", "progress", 1, 9) for i in range(6)])
    shown = [line.split()[0] for line in rendered(sink)[1:4]]
    for i in (5, 4, 3):
        clock.now += 1.0
        sink.write([event(f"s{i}", "progress", 2, 9)])
        assert [line.split()[0] for line in rendered(sink)[1:4]] == shown == ["s0", "s1", "s2"]
    clock.now += 1.0
    sink.write([event("s4", "end", 9, 9, elapsed=1.0), event("s0", "end", 9, 9, elapsed=1.0)])
    assert [line.split()[0] for line in rendered(sink)[1:4]] == ["s1", "s2", "s3"]


def test_whatever_other_clients_send_is_shown_without_breaking_the_view(clock: Clock) -> None:
    sink = make_sink(clock)
    sink.write(
        [
            {"probe": ["a", "list"], "host": {"x": 1}, "pid": [1], "event": "progress", "n": 1},
            event("weird", "progress", 10**30, float("inf"), rate=float("nan"), elapsed="1"),
            event("weird", "progress", True, -5, rate=float("inf"), data={"big": "x" * 10_000}),
            event("weird", "error", 3, 10, error=["not", "an", "object"]),
            {"probe": "odd", "event": 7, "n": "many", "total": "all"},
        ]
    )
    lines = rendered(sink)
    assert row(lines, "['a',")[1] == "{'x': 1}:[1]"
    assert row(lines, "weird")[2] == "3/10"
    assert row(lines, "weird")[-2:] == ["failed", "['not', 'an', 'object']"]
    assert row(lines, "odd")[2:4] == ["1", "-"]
    assert lines[-1] == "3 streams: 1 running, 1 failed, 1 noted · 5 events"


def test_long_finished_streams_are_forgotten_and_counted(clock: Clock) -> None:
    sink = make_sink(clock)
    sink.board.keep = 10
    sink.write([event("running", "progress", 1, 9), event("broken", "error", 1, error="x")])
    for i in range(30):
        clock.now += 1.0
        sink.write([event(f"job{i}", "end", 1, 1, elapsed=1.0)])
    lines = rendered(sink)
    names = [line.split()[0] for line in lines[1:-1]]
    assert names[:2] == ["running", "broken"]
    assert names[2:] == [f"job{i}" for i in range(22, 30)]
    assert lines[-1] == "10 streams: 1 stalled, 1 failed, 8 done (22 finished earlier) · 32 events"


def rendered_at(sink: LiveSink, width: int) -> list[str]:
    console = recorded_console(width)
    console.print(sink.renderable())
    return console.export_text().splitlines()


def mixed_streams(sink: LiveSink) -> None:
    sink.write(
        [
            event("preprocess.load_images", "progress", 250, 1000, rate=250.0, data={"k": 1}),
            event("solve", "end", 40, 40, elapsed=3.0),
            event("fit", "error", 7, 10, error={"type": "ValueError", "message": "bad x"}),
        ]
    )


@pytest.mark.parametrize(
    ("width", "headers", "bar"),
    [
        (140, ["probe", "host:pid", "n/total", "rate", "ETA", "last", "status"], 20),
        (100, ["probe", "n/total", "rate", "ETA", "status"], 20),
        (80, ["probe", "n/total", "rate", "ETA", "status"], 8),
        (60, ["probe", "n/total", "ETA", "status"], 10),
    ],
)
def test_columns_give_way_in_order_and_the_name_never(clock, width, headers, bar) -> None:
    sink = make_sink(clock)
    mixed_streams(sink)
    lines = rendered_at(sink, width)
    assert lines[0].split() == headers
    assert all(len(line) <= width for line in lines), "\n".join(lines)
    for name in ("preprocess.load_images", "solve", "fit"):
        assert row(lines, name)[0] == name  # the whole name, at every width
    solve = row(lines, "solve")
    count = headers.index("n/total")
    assert solve[count] == "40/40" and solve[count + 1].count("━") == bar


def test_the_note_takes_what_room_is_left(clock) -> None:
    sink = make_sink(clock)
    mixed_streams(sink)
    wide, narrow = rendered_at(sink, 140), rendered_at(sink, 100)
    assert row(wide, "fit")[-1] == "ValueError: bad x"
    assert row(narrow, "fit")[-1] == "ValueError: bad x"  # where and last went instead
    assert row(rendered_at(sink, 90), "fit")[-1].startswith("ValueErr")
    assert "ValueError" not in "\n".join(rendered_at(sink, 60))


def test_only_when_nothing_else_is_left_the_name_is_shortened(clock) -> None:
    sink = make_sink(clock)
    mixed_streams(sink)
    lines = rendered_at(sink, 30)
    assert all(len(line) <= 30 for line in lines[:-1])
    assert lines[0].split() == ["probe", "n/total", "status"]
    assert row(lines, "preproces…")[1:] == ["250/1,000", "running"]


def pool(clock: Clock, sink: LiveSink) -> None:
    """Four workers of one run, each a stream named ``chunk``; one done, one failed."""
    sink.write(
        [event("chunk", "progress", 10, 25, pid=100 + i, rate=5.0) for i in range(4)]
        + [event("chunk", "progress", 3, 25, pid=200, run="other-run", rate=1.0)]
    )
    sink.write(
        [
            event("chunk", "end", 25, 25, pid=100, elapsed=5.0),
            event("chunk", "error", 12, 25, pid=101, error="worker died"),
        ]
    )
    clock.now += 1.0


def test_streams_of_one_name_across_processes_are_one_group_row(clock) -> None:
    sink = make_sink(clock)
    pool(clock, sink)
    lines = rendered(sink)
    chunks = [re.split(r"\s{2,}", line.strip()) for line in lines if line.startswith("chunk")]
    assert len(chunks) == 2, "\n".join(lines)  # the pool of run r1, the one stream of other-run
    group, single = chunks
    assert group[1:3] == ["4 processes", "57/100"]  # 25 + 12 + 10 + 10 of 4 x 25
    assert group[4:7] == ["10.0/s", "4.3s", "1.0s ago"]  # the two running members' rates
    assert group[7:] == ["running", "2 running, 1 done, 1 failed"]
    assert single[1:3] == ["lab:200", "3/25"]
    assert lines[-1] == "5 streams: 3 running, 1 failed, 1 done · 7 events"


def test_a_group_of_quiet_calls_is_idle_and_counts_its_idle_members(clock) -> None:
    sink = make_sink(clock)
    sink.write(
        [
            event("step", "progress", 5, None, pid=100, rate=2.0, unit="call"),
            event("step", "end", 9, None, pid=101, unit="call"),
            event("step", "error", 3, None, pid=102, unit="call", error="bad input"),
            event("scan", "progress", 5, 10, pid=100, rate=2.0, unit="it"),
            event("scan", "progress", 5, 10, pid=101, rate=2.0, unit="call"),
        ]
    )
    clock.now += 60
    lines = rendered(sink)
    step = row(lines, "step")
    assert step[-2:] == ["idle", "0 running, 1 idle, 1 done, 1 failed"]  # livelier than failed
    assert row(lines, "scan")[-2:] == ["stalled", "0 running, 1 stalled, 1 idle, 0 done, 0 failed"]
    sink.write([event("step", "progress", 6, None, pid=100, rate=1.0, unit="call")])
    assert row(rendered(sink), "step")[-2:] == ["running", "1 running, 1 done, 1 failed"]


def test_groups_off_shows_a_row_per_stream(clock) -> None:
    sink = make_sink(clock, "groups=off")
    pool(clock, sink)
    lines = rendered(sink)
    assert sum(line.startswith("chunk") for line in lines) == 5
    assert any("lab:101" in line and "worker died" in line for line in lines)


def test_a_group_row_counts_as_one_of_max_rows(clock) -> None:
    sink = make_sink(clock, "max_rows=2")
    pool(clock, sink)
    sink.write([event("z", "end", 1, 1, elapsed=1.0)])
    lines = rendered(sink)
    assert [line.split()[0] for line in lines[1:3]] == ["chunk", "chunk"]
    assert lines[3] == "… and 1 done not shown"
