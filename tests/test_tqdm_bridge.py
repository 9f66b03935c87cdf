"""tqdm, bridged: ``probe.tqdm`` and ``probe.patch_tqdm`` in real processes (the programs in
tests/programs/tqdm_*.py), events through a real collector into a file; what tqdm draws
compared with plain tqdm's own output."""

from __future__ import annotations

import json

import jupyter_client

from tests.helpers import (
    PROGRAMS,
    assert_bars_ended,
    lifecycle,
    probe_environment,
    read_jsonl,
    run_program,
    streams_of,
    wait_for,
)


def run_bridged(start_collector, tmp_path, name: str, ends: set[str]) -> dict:
    """Run program ``name`` against a real collector; returns its streams and output once
    every stream in ``ends`` has its last event (``end`` or ``error``) in the file."""
    out = tmp_path / "events.jsonl"
    collector = start_collector("--interval", "0", "--sink", f"file:{out}")
    result = run_program(name, endpoint=collector.endpoint)
    assert result.returncode == 0, result.stderr
    assert "tqdm bridge" not in result.stderr  # the bridge swallows its own failures, and says so

    def ended() -> bool:
        closed = {e["probe"] for e in read_jsonl(out) if e["event"] in ("end", "error")}
        return ends <= closed

    assert wait_for(ended), sorted(streams_of(read_jsonl(out)))
    assert collector.stop() == 0
    return {"streams": streams_of(read_jsonl(out)), "stdout": result.stdout}


def line_of(name: str, fragment: str) -> int:
    lines = (PROGRAMS / f"{name}.py").read_text().splitlines()
    return next(number for number, line in enumerate(lines, 1) if fragment in line)


def test_probe_tqdm_is_a_stream_named_by_desc_or_caller(tmp_path, start_collector):
    load = f"load:{line_of('tqdm_drop_in', 'range(40)')}"
    names = {load, "solve", "epochs", "postfix-str"}
    streams = run_bridged(start_collector, tmp_path, "tqdm_drop_in", names)["streams"]
    assert set(streams) == names

    loop = streams[load]
    assert lifecycle(loop) == ["start", "end"]
    assert (loop[0]["n"], loop[0]["total"]) == (0, 40)
    assert (loop[-1]["n"], loop[-1]["total"]) == (40, 40)
    progress = [e for e in loop if e["event"] == "progress"]
    assert progress, "a 0.2 s loop redrawn at every item sends throttled progress"
    assert all(0 < e["n"] <= 40 and e["rate"] > 0 for e in progress)
    assert [e["n"] for e in progress] == sorted(e["n"] for e in progress)
    assert all(e["data"] == {"unit": "it"} for e in loop)

    solve = streams["solve"]
    assert lifecycle(solve) == ["start", "end"]
    assert (solve[-1]["n"], solve[-1]["total"]) == (6, 6)
    assert solve[0]["data"] == {"unit": "step"}
    assert solve[-1]["data"] == {
        "unit": "step",
        "stage": "fit",
        "loss": 1 / 6,
        "model": "<class 'object'>",  # what tqdm shows for a value that is not a number
    }
    assert [(e["event"], e["n"], e["total"]) for e in streams["epochs"]][-1] == ("end", 5, 5)
    assert streams["postfix-str"][-1]["data"] == {"unit": "it", "postfix": "warm"}


def test_end_or_error_as_far_as_it_can_be_known(tmp_path, start_collector):
    expected = {  # stream: (last event, n, total, error type)
        "iterable-raises": ("error", 2, None, "KeyError"),
        "with-loop-raises": ("error", 4, 10, "ValueError"),
        "with-manual-raises": ("error", 7, 10, "RuntimeError"),
        "finally-close": ("error", 2, 10, "ZeroDivisionError"),
        "with-loop-break": ("end", 3, 10, None),
        "loop-break": ("end", 3, 10, None),
        "body-raises": ("end", 5, 10, None),  # closed as by ``break``: n tells it stopped
        "inside-except": ("end", 4, 4, None),
        "with-inside-except": ("end", 2, 2, None),
        "never-closed": ("end", 5, 8, None),
    }
    streams = run_bridged(start_collector, tmp_path, "tqdm_endings", set(expected))["streams"]
    assert set(streams) == set(expected)
    for name, (last, n, total, error) in expected.items():
        events = streams[name]
        assert lifecycle(events) == ["start", last], (name, events)
        final = events[-1]
        assert (final["n"], final["total"]) == (n, total), (name, final)
        assert (final.get("error") or {}).get("type") == error, (name, final)
    assert streams["with-loop-raises"][-1]["error"]["message"] == "diverged"


def test_patch_tqdm_reaches_every_kind_of_bar(tmp_path, start_collector):
    expected = {
        "std": 30,
        "trange": 4,
        "auto": 5,
        "asyncio": 6,
        "gather": 3,
        "rich": 7,
        "thread_map": 9,
        "pandas": 11,
        "library.crunch": 12,
    }
    streams = run_bridged(start_collector, tmp_path, "tqdm_patched", set(expected))["streams"]
    # no bar before the patch, after it, or disabled
    assert_bars_ended(streams, expected)


def test_what_tqdm_draws_is_unchanged(tmp_path, start_collector):
    names = {"outer", "inner", "manual", "reset"}
    run = run_bridged(start_collector, tmp_path, "tqdm_output", names)
    results = json.loads(run["stdout"])
    plain = results["plain"]
    assert "outer" in plain["output"] and "line 4" in plain["output"]
    assert plain["class_pickles"] is True
    assert plain["instances_left"] == 0
    assert results["probe.tqdm"] == plain
    assert results["patched"] == plain
    streams = run["streams"]
    # the reset bar: one span per round, under the name it had when it was made
    spans = [e for e in streams["reset"] if e["event"] != "progress"]  # a refresh may add one
    assert [(e["event"], e["n"], e["total"]) for e in spans][-4:] == [
        ("start", 0, 2),
        ("end", 2, 2),
        ("start", 0, 3),
        ("end", 3, 3),
    ]


def test_without_tqdm_the_bridge_raises_import_error_naming_it():
    result = run_program("tqdm_missing", HOTPROBE_DISABLE="1")
    assert result.returncode == 0, result.stderr
    messages = json.loads(result.stdout)
    assert len(messages) == 3
    assert all("pip install tqdm" in message for message in messages)


def test_import_probe_does_not_import_tqdm():
    result = run_program("tqdm_import_light", HOTPROBE_DISABLE="1")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == []


def test_notebook_bars_are_widgets_and_streams(tmp_path, start_collector):
    out = tmp_path / "events.jsonl"
    collector = start_collector("--interval", "0", "--sink", f"file:{out}")
    manager = jupyter_client.KernelManager(kernel_name="python3")
    manager.start_kernel(env=probe_environment(collector.endpoint), cwd=str(tmp_path))
    client = manager.client()
    client.start_channels()
    messages: list[dict] = []
    try:
        client.wait_for_ready(timeout=60)
        cell = (PROGRAMS / "tqdm_notebook_cell.py").read_text()
        reply = client.execute_interactive(cell, timeout=60, output_hook=messages.append)
        assert reply["content"]["status"] == "ok", reply["content"]
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
    printed = "".join(m["content"]["text"] for m in messages if m["msg_type"] == "stream")
    assert printed.strip() == "tqdm.notebook"
    widgets = [
        m
        for m in messages
        if m["msg_type"] == "display_data"
        and "application/vnd.jupyter.widget-view+json" in m["content"]["data"]
    ]
    assert widgets, [m["msg_type"] for m in messages]

    def ended() -> bool:
        return any(e["probe"] == "notebook-bar" and e["event"] == "end" for e in read_jsonl(out))

    assert wait_for(ended)
    assert collector.stop() == 0
    bar = streams_of(read_jsonl(out))["notebook-bar"]
    assert lifecycle(bar) == ["start", "end"]
    assert (bar[-1]["n"], bar[-1]["total"]) == (50, 50)


def test_probe_tqdm_is_usable_where_tqdm_is_expected():
    result = run_program("tqdm_usable", HOTPROBE_DISABLE="1")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
