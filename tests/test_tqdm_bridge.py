"""tqdm, bridged: ``probe.tqdm`` and ``probe.patch_tqdm`` in real processes, events through a
real collector into a file; what tqdm draws compared with plain tqdm's own output."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections import defaultdict

import jupyter_client

from tests.conftest import ROOT, read_jsonl, run_python, wait_for


def streams_of(events: list[dict]) -> dict[str, list[dict]]:
    streams: dict[str, list[dict]] = defaultdict(list)
    for event in events:
        streams[event["probe"]].append(event)
    return streams


def run_bridged(tmp_path, start_collector, code: str, ends: set[str], **env: str) -> dict:
    """Run ``code`` against a real collector; returns the streams once every name in ``ends``
    has its last event (``end`` or ``error``) in the file."""
    out = tmp_path / "events.jsonl"
    collector = start_collector("--interval", "0", "--sink", f"file:{out}")
    result = run_python(code, collector.endpoint, **env)
    assert result.returncode == 0, result.stderr

    def ended() -> bool:
        closed = {e["probe"] for e in read_jsonl(out) if e["event"] in ("end", "error")}
        return ends <= closed

    assert wait_for(ended), sorted(streams_of(read_jsonl(out)))
    assert collector.stop() == 0
    return {"streams": streams_of(read_jsonl(out)), "stdout": result.stdout}


def line_of(code: str, fragment: str) -> int:
    lines = textwrap.dedent(code).splitlines()
    return next(number for number, line in enumerate(lines, 1) if fragment in line)


def kinds(events: list[dict]) -> list[str]:
    return [event["event"] for event in events if event["event"] != "progress"]


DROP_IN = """
    import io, time
    import probe

    def load():
        for _ in probe.tqdm(range(40), file=io.StringIO(), mininterval=0):
            time.sleep(0.005)

    load()
    with probe.tqdm(total=6, desc="solve", unit="step", file=io.StringIO()) as bar:
        for i in range(6):
            bar.update()
            bar.set_postfix({"stage": "fit"}, loss=1 / (i + 1), model=object)
    for _ in probe.trange(5, desc="epochs: ", file=io.StringIO()):
        pass
    bar = probe.tqdm(total=3, desc="postfix-str", file=io.StringIO())
    bar.set_postfix_str("warm")
    bar.update(3)
    bar.close()
"""


def test_probe_tqdm_is_a_stream_named_by_desc_or_caller(tmp_path, start_collector):
    load = f"load:{line_of(DROP_IN, 'range(40)')}"
    names = {load, "solve", "epochs", "postfix-str"}
    streams = run_bridged(tmp_path, start_collector, DROP_IN, names)["streams"]
    assert set(streams) == names

    loop = streams[load]
    assert kinds(loop) == ["start", "end"]
    assert (loop[0]["n"], loop[0]["total"]) == (0, 40)
    assert (loop[-1]["n"], loop[-1]["total"]) == (40, 40)
    progress = [e for e in loop if e["event"] == "progress"]
    assert progress, "a 0.2 s loop redrawn at every item sends throttled progress"
    assert all(0 < e["n"] <= 40 and e["rate"] > 0 for e in progress)
    assert [e["n"] for e in progress] == sorted(e["n"] for e in progress)
    assert all(e["data"] == {"unit": "it"} for e in loop)

    solve = streams["solve"]
    assert kinds(solve) == ["start", "end"]
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


ENDINGS = """
    import io
    import probe

    def quiet(*args, **kwargs):
        return probe.tqdm(*args, file=io.StringIO(), **kwargs)

    def failing():
        yield 1
        yield 2
        raise KeyError("disk gone")

    try:
        for _ in quiet(failing(), desc="iterable-raises"):
            pass
    except KeyError:
        pass

    try:
        with quiet(range(10), desc="with-loop-raises") as bar:
            for i in bar:
                if i == 4:
                    raise ValueError("diverged")
    except ValueError:
        pass

    try:
        with quiet(total=10, desc="with-manual-raises") as bar:
            bar.update(7)
            raise RuntimeError("out of memory")
    except RuntimeError:
        pass

    def closes_in_finally():
        bar = quiet(total=10, desc="finally-close")
        try:
            bar.update(2)
            1 / 0
        finally:
            bar.close()

    try:
        closes_in_finally()
    except ZeroDivisionError:
        pass

    with quiet(range(10), desc="with-loop-break") as bar:
        for i in bar:
            if i == 3:
                break

    for i in quiet(range(10), desc="loop-break"):
        if i == 3:
            break

    try:
        for i in quiet(range(10), desc="body-raises"):
            if i == 5:
                raise ValueError("in the body")
    except ValueError:
        pass

    try:
        {}["missing"]
    except KeyError:
        for _ in quiet(range(4), desc="inside-except"):
            pass
        with quiet(total=2, desc="with-inside-except") as bar:
            bar.update(2)

    bar = quiet(total=8, desc="never-closed")
    bar.update(5)
    kept_open = bar  # still referenced at exit: its stream ends with its last count
"""


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
    streams = run_bridged(tmp_path, start_collector, ENDINGS, set(expected))["streams"]
    assert set(streams) == set(expected)
    for name, (last, n, total, error) in expected.items():
        events = streams[name]
        assert kinds(events) == ["start", last], (name, events)
        final = events[-1]
        assert (final["n"], final["total"]) == (n, total), (name, final)
        assert (final.get("error") or {}).get("type") == error, (name, final)
    assert streams["with-loop-raises"][-1]["error"]["message"] == "diverged"


PATCHED = """
    import asyncio, io, sys, warnings
    from tqdm import tqdm as imported_before, trange
    sys.path.insert(0, sys.argv[1])
    import thirdparty  # a library that imported tqdm.auto before the patch
    import pandas as pd
    import probe

    def quiet(cls, *args, **kwargs):
        return cls(*args, file=io.StringIO(), **kwargs)

    for _ in quiet(imported_before, range(3), desc="off-before-patch"):
        pass
    probe.patch_tqdm()
    probe.patch_tqdm()  # twice is once

    for _ in quiet(imported_before, range(30), desc="std"):
        pass
    for _ in trange(4, desc="trange", file=io.StringIO()):
        pass
    from tqdm.auto import tqdm as auto
    for _ in quiet(auto, range(5), desc="auto"):
        pass
    from tqdm.asyncio import tqdm as atqdm

    async def main():
        async def ticks():
            for i in range(6):
                await asyncio.sleep(0)
                yield i
        async for _ in quiet(atqdm, ticks(), total=6, desc="asyncio"):
            pass
        await atqdm.gather(*[asyncio.sleep(0) for _ in range(3)], desc="gather",
                           file=io.StringIO())
    asyncio.run(main())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tqdm.rich is experimental
        from tqdm.rich import tqdm as rtqdm
        for _ in rtqdm(range(7), desc="rich", disable=False):
            pass
    from tqdm.contrib.concurrent import thread_map
    thread_map(abs, range(9), desc="thread_map", file=io.StringIO(), max_workers=2)
    from tqdm.std import tqdm as std
    std.pandas(desc="pandas", file=io.StringIO())
    pd.DataFrame({"x": range(11)}).progress_apply(lambda row: row.x * 2, axis=1)
    thirdparty.crunch(12)
    for _ in quiet(imported_before, range(3), desc="disabled", disable=True):
        pass
    probe.unpatch_tqdm()
    for _ in quiet(imported_before, range(3), desc="off-after-unpatch"):
        pass
"""

THIRD_PARTY = """
from tqdm.auto import tqdm


def crunch(n):
    return sum(1 for _ in tqdm(range(n), desc="thirdparty.crunch", leave=False))
"""


def test_patch_tqdm_reaches_every_kind_of_bar(tmp_path, start_collector):
    library = tmp_path / "lib"
    library.mkdir()
    (library / "thirdparty.py").write_text(THIRD_PARTY)
    expected = {
        "std": 30,
        "trange": 4,
        "auto": 5,
        "asyncio": 6,
        "gather": 3,
        "rich": 7,
        "thread_map": 9,
        "pandas": 11,
        "thirdparty.crunch": 12,
    }
    out = tmp_path / "events.jsonl"
    collector = start_collector("--interval", "0", "--sink", f"file:{out}")
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(PATCHED), str(library)],
        env={**os.environ, "HOTPROBE_ENDPOINT": collector.endpoint},
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr

    def ended() -> bool:
        return set(expected) <= {e["probe"] for e in read_jsonl(out) if e["event"] == "end"}

    assert wait_for(ended), read_jsonl(out)
    assert collector.stop() == 0
    streams = streams_of(read_jsonl(out))
    assert set(streams) == set(expected)  # nothing before the patch, after it, or disabled
    for name, n in expected.items():
        events = streams[name]
        assert kinds(events) == ["start", "end"], (name, events)
        assert (events[-1]["n"], events[-1]["total"]) == (n, n), (name, events[-1])


OUTPUT = """
    import io, json, pickle, sys
    import tqdm as tqdm_module
    from tqdm import tqdm, trange
    import probe

    FORMAT = "{desc}{percentage:3.0f}%|{bar}| {n_fmt}/{total_fmt}{postfix}"

    def scenario(cls):
        file = io.StringIO()
        options = dict(file=file, bar_format=FORMAT, mininterval=0, ncols=60)
        for _ in cls(range(3), desc="outer", **options):
            for _ in cls(range(4), desc="inner", leave=False, **options):
                pass
        with cls(total=5, desc="manual", position=1, **options) as bar:
            for i in range(5):
                bar.update()
                bar.set_postfix(loss=1 / (i + 1))
                cls.write(f"line {i}", file=file)
        bar = cls(total=2, desc="reset", **options)
        bar.update(2)
        bar.reset(total=3)
        bar.update(3)
        bar.set_description("renamed")
        bar.close()
        for _ in cls(range(3), disable=True, **options):
            pass
        for _ in cls(range(2), leave=None, **options):
            pass
        try:
            pickle.dumps(cls(range(1), **options))
            pickling = "pickled"
        except Exception as exc:
            pickling = type(exc).__name__
        return {
            "output": file.getvalue(),
            "class_pickles": pickle.loads(pickle.dumps(cls)) is cls,
            "bar_pickling": pickling,
            "instances_left": len(getattr(tqdm_module.tqdm, "_instances", ())),
        }

    results = {"plain": scenario(tqdm), "probe.tqdm": scenario(probe.tqdm)}
    probe.patch_tqdm()
    results["patched"] = scenario(tqdm)
    print(json.dumps(results))
"""


def test_what_tqdm_draws_is_unchanged(tmp_path, start_collector):
    run = run_bridged(tmp_path, start_collector, OUTPUT, {"outer", "inner", "manual", "reset"})
    results = json.loads(run["stdout"])
    plain = results["plain"]
    assert "outer" in plain["output"] and "line 4" in plain["output"]
    assert plain["class_pickles"] is True
    assert plain["instances_left"] == 0
    assert results["probe.tqdm"] == plain
    assert results["patched"] == plain
    streams = run["streams"]
    # the reset bar: one span per round, under the name it had when it was made
    assert [(e["event"], e["n"], e["total"]) for e in streams["reset"]][-4:] == [
        ("start", 0, 2),
        ("end", 2, 2),
        ("start", 0, 3),
        ("end", 3, 3),
    ]


IMPORTS = """
    import json, sys
    sys.modules["tqdm"] = None  # as if tqdm were not installed
    import probe
    messages = []
    for attempt in (lambda: probe.tqdm, lambda: probe.trange, probe.patch_tqdm):
        try:
            attempt()
        except ImportError as exc:
            messages.append(str(exc))
    print(json.dumps(messages))
"""


def test_without_tqdm_the_bridge_raises_import_error_naming_it():
    result = run_python(IMPORTS, HOTPROBE_DISABLE="1")
    assert result.returncode == 0, result.stderr
    messages = json.loads(result.stdout)
    assert len(messages) == 3
    assert all("pip install tqdm" in message for message in messages)


def test_import_probe_does_not_import_tqdm():
    code = "import sys, probe; print(sorted(m for m in sys.modules if m.startswith('tqdm')))"
    result = run_python(code, HOTPROBE_DISABLE="1")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


NOTEBOOK_CELL = """
import probe
probe.patch_tqdm()
from tqdm.auto import tqdm
for _ in tqdm(range(50), desc="notebook-bar"):
    pass
print(type(tqdm(disable=True)).__mro__[1].__module__)
"""


def test_notebook_bars_are_widgets_and_streams(tmp_path, start_collector):
    out = tmp_path / "events.jsonl"
    collector = start_collector("--interval", "0", "--sink", f"file:{out}")
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOTPROBE_")}
    env["HOTPROBE_ENDPOINT"] = collector.endpoint
    manager = jupyter_client.KernelManager(kernel_name="python3")
    manager.start_kernel(env=env, cwd=str(tmp_path))
    client = manager.client()
    client.start_channels()
    messages: list[dict] = []
    try:
        client.wait_for_ready(timeout=60)
        reply = client.execute_interactive(NOTEBOOK_CELL, timeout=60, output_hook=messages.append)
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
    assert kinds(bar) == ["start", "end"]
    assert (bar[-1]["n"], bar[-1]["total"]) == (50, 50)


def test_probe_tqdm_is_usable_where_tqdm_is_expected():
    code = """
        import inspect
        import probe
        from tqdm import tqdm
        assert issubclass(probe.tqdm, tqdm)
        assert {"desc", "total", "mininterval"} <= set(inspect.signature(probe.tqdm).parameters)
        bar = probe.trange(3, disable=True)
        assert isinstance(bar, tqdm) and list(bar) == [0, 1, 2]
    """
    result = run_python(code, HOTPROBE_DISABLE="1")
    assert result.returncode == 0, result.stderr
