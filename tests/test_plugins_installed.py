"""Installed plugins in real collector processes: the example package, broken plugins,
``HOTPROBE_PLUGINS`` and ``hotprobe sinks``.

Nothing is installed machine-wide: the example is pip-installed with ``--target`` into a
temporary directory, the broken plugins are distributions written by hand there (METADATA and
entry_points.txt are all ``importlib.metadata`` needs), and that directory is put on the
subprocesses' PYTHONPATH.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import (
    ROOT,
    SINK_PLUGINS,
    last_stats,
    probe_environment,
    program,
    run_program,
    stream_events,
    wait_for,
)

BROKEN_PLUGINS = {  # plugin (entry-point name): the sink scheme it registers
    "broken_import": None,
    "raising_factory": "exploding",
    "raising_write": "failing",
    "hanging_open": "stuckopen",
    "hanging_write": "stuckwrite",
}


def write_distribution(site: Path, plugin: str) -> None:
    """A one-module distribution ``hotprobe-<plugin>`` with entry point ``plugin``: the module
    is ``tests/sink_plugins/hotprobe_<plugin>.py``."""
    module = f"hotprobe_{plugin}"
    shutil.copy(SINK_PLUGINS / f"{module}.py", site)
    info = site / f"{module}-0.1.dist-info"
    info.mkdir()
    name = module.replace("_", "-")
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(f"[hotprobe]\n{plugin} = {module}\n")


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """A directory holding the example plugin (installed by pip) and the broken plugins."""
    base = tmp_path_factory.mktemp("plugins")
    source = base / "sink-plugin"  # a copy: a build leaves build/ and *.egg-info behind
    shutil.copytree(ROOT / "examples" / "sink-plugin", source)
    target = base / "site"
    result = subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", target, source],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    for plugin in BROKEN_PLUGINS:
        write_distribution(target, plugin)
    return target


def environment(site: Path, plugins: str | None = None) -> dict[str, str]:
    env = probe_environment(PYTHONPATH=os.pathsep.join([str(site), os.environ["PYTHONPATH"]]))
    if plugins is not None:
        env["HOTPROBE_PLUGINS"] = plugins
    return env


def hotprobe(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    """The ``hotprobe`` command of this checkout."""
    return subprocess.run(
        program("hotprobe_command", *args), env=env, capture_output=True, text=True, timeout=60
    )


@pytest.fixture
def with_site(site, monkeypatch):
    """Collectors started in this test see the installed plugins, all but ``HOTPROBE_PLUGINS``
    that the test sets."""
    for name in os.environ.keys() - probe_environment().keys():
        monkeypatch.delenv(name)
    monkeypatch.setenv("PYTHONPATH", environment(site)["PYTHONPATH"])
    return monkeypatch


def lines_with(text: str, *needles: str) -> list[str]:
    return [line for line in text.splitlines() if all(n in line for n in needles)]


def test_the_example_plugin_installed_by_pip_receives_events(with_site, tmp_path, start_collector):
    with_site.setenv("HOTPROBE_PLUGINS", "sqlite")
    db = tmp_path / "run.db"
    collector = start_collector("--interval", "0", "--sink", f"sqlite:{db}")
    assert "sinks: sqlite:" in collector.stderr and "error" not in collector.stderr
    assert run_program("load_and_checkpoint", endpoint=collector.endpoint).returncode == 0

    def stored():
        if not db.exists():
            return []
        with sqlite3.connect(db) as connection:
            return connection.execute("SELECT probe, event, n FROM events ORDER BY id").fetchall()

    assert wait_for(lambda: ("checkpoint", "mark") in [row[:2] for row in stored()]), stored()
    assert collector.stop() == 0, collector.stderr
    kept = last_stats(collector.stderr).counts["kept"]
    rows = stored()
    assert len(rows) == kept
    assert rows[:2] == [("<run>", "run", 0), ("load", "start", 0)] and ("load", "end", 50) in rows


def test_the_example_plugins_own_tests_pass_with_the_run_sink_fixture(site, tmp_path):
    tests = tmp_path / "tests"
    shutil.copytree(ROOT / "examples" / "sink-plugin" / "tests", tests)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "collector.testing", str(tests)],
        cwd=tmp_path,
        env=environment(site, plugins="sqlite"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"\b5 passed\b", result.stdout), result.stdout


def test_broken_plugins_are_reported_once_each_and_the_other_sinks_keep_working(
    with_site, tmp_path, start_collector
):
    out = tmp_path / "events.jsonl"
    sinks = ["file:" + str(out)] + [f"{scheme}:" for scheme in BROKEN_PLUGINS.values() if scheme]
    args = ["--interval", "0", "--sink-stall-after", "1"]
    collector = start_collector(*args, *[a for s in sinks for a in ("--sink", s)])
    assert run_program("emit_marks", "300", endpoint=collector.endpoint).returncode == 0
    assert wait_for(lambda: len(stream_events(out)) == 300), collector.stderr
    assert wait_for(lambda: len(lines_with(collector.stderr, "has not returned")) == 2)
    assert wait_for(lambda: "disk on fire" in collector.stderr)
    status = collector.stop()
    err = collector.stderr

    assert [e["data"]["i"] for e in stream_events(out)] == list(range(300))
    [failed_import] = lines_with(err, "'broken_import'")
    assert "(hotprobe-broken-import 0.1) failed to load" in failed_import
    assert "ModuleNotFoundError" in failed_import
    [failed_factory] = lines_with(err, "'raising_factory'")
    assert "sink 'exploding:' left out" in failed_factory
    assert "RuntimeError('no licence server')" in failed_factory
    [failed_write] = lines_with(err, "disk on fire")
    assert "'failing:'" in failed_write and "plugin 'raising_write'" in failed_write
    [stalled_open] = lines_with(err, "has not returned from open()")
    assert "'stuckopen:' (plugin 'hanging_open' (hotprobe-hanging-open 0.1))" in stalled_open
    [stalled_write] = lines_with(err, "has not returned from write()")
    assert "'stuckwrite:' (plugin 'hanging_write' (hotprobe-hanging-write 0.1))" in stalled_write
    assert "Traceback" not in err
    assert len(lines_with(err, "queued events spooled for the next run")) == 2
    assert status == 0, err  # the two hung sinks' events are spooled, none lost


def test_an_unknown_scheme_is_one_line_and_status_2(site):
    result = hotprobe("collect", "--sink", "nosuch:x", env=environment(site, plugins="none"))
    assert result.returncode == 2
    [line] = result.stderr.splitlines()
    assert line.startswith("hotprobe collect: error: unknown sink scheme 'nosuch' (known: ")
    assert "file" in line and "stdout" in line and "sqlite" not in line


def test_an_unknown_scheme_names_the_plugins_that_failed_to_load(site):
    env = environment(site, plugins="sqlite,broken_import")
    result = hotprobe("collect", "--sink", "broken:x", env=env)
    assert result.returncode == 2
    failed, error = result.stderr.splitlines()
    assert "'broken_import'" in failed
    assert "sqlite" in error and error.endswith("plugins that failed to load: broken_import")


def test_a_bad_sink_option_is_status_2_naming_the_option(site):
    result = hotprobe("collect", "--sink", "sqlite:x.db?table=a;b", env=environment(site))
    assert result.returncode == 2
    assert lines_with(result.stderr, "error: --sink 'sqlite:x.db?table=a;b': table='a;b'")


def test_hotprobe_sinks_lists_schemes_plugins_distributions_and_options(site):
    result = hotprobe("sinks", env=environment(site, plugins="sqlite"))
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    blocks = {}
    for line in result.stdout.splitlines():
        if not line.startswith(" "):
            scheme = line.split()[0]
            blocks[scheme] = [line]
        else:
            blocks[scheme].append(line.strip())
    assert {"file", "stdout", "sqlite"} <= set(blocks)
    assert " ".join(blocks["sqlite"][0].split()) == "sqlite rows in a SQLite table (sqlite:PATH)"
    assert [" ".join(line.split()) for line in blocks["sqlite"][1:3]] == [
        "from sqlite (hotprobe-sqlite 0.1.0)",
        "?table= table name (default events)",
    ]
    delivery = [line.split()[0] for line in blocks["sqlite"][3:]]
    assert delivery == ["?batch_size=", "?max_delay=", "?queue_size=", "?spool_max_bytes="]
    assert blocks["file"][1].startswith("from plugins.file (hotprobe ")
    assert any(line.startswith("?fsync=  ") for line in blocks["file"])


def test_hotprobe_plugins_none_loads_only_the_built_ins(site):
    result = hotprobe("sinks", "--json", env=environment(site, plugins="none"))
    assert result.returncode == 0, result.stderr
    listing = json.loads(result.stdout)
    assert listing["failures"] == []
    assert all(row["distribution"].startswith("hotprobe ") for row in listing["sinks"])
    assert {"file", "stdout"} <= {row["scheme"] for row in listing["sinks"]}


def test_every_installed_plugin_loads_by_default_and_failures_set_the_status(site):
    result = hotprobe("sinks", "--json", env=environment(site))
    assert result.returncode == 1
    listing = json.loads(result.stdout)
    by_scheme = {row["scheme"]: row for row in listing["sinks"]}
    assert {"sqlite", "exploding", "failing", "stuckopen", "stuckwrite"} <= set(by_scheme)
    assert by_scheme["failing"]["plugin"] == "raising_write"
    assert by_scheme["failing"]["distribution"] == "hotprobe-raising-write 0.1"
    [failure] = listing["failures"]
    assert failure.startswith("plugin 'broken_import' (hotprobe-broken-import 0.1) failed to load")
    assert lines_with(result.stderr, "'broken_import'") == [f"hotprobe: {failure}"]


def test_hotprobe_plugins_naming_a_missing_plugin_says_so(site):
    result = hotprobe("sinks", env=environment(site, plugins="sqlite, nosuch"))
    assert result.returncode == 1
    [complaint] = lines_with(result.stderr, "'nosuch'")
    assert "HOTPROBE_PLUGINS names 'nosuch', not installed" in complaint
    assert "sqlite" in result.stdout and "failing" not in result.stdout
