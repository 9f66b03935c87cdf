"""``HOTPROBE_TQDM=1``: programs that never import probe, started as scripts, as ``python -m``,
as console scripts, and their multiprocessing workers (fork, spawn, forkserver, process_map
under spawn), all through the real start-up hook into a real collector.

The hook is ``probe/hotprobe_startup.pth`` and ``probe/_startup.py``, which installing the
package puts at the top of site-packages: ``test_an_editable_install_puts_the_hook_in_site_
packages`` checks that with pip itself; the other tests run an interpreter whose site-packages
holds this checkout's copies (a virtual environment that sees this machine's packages, which
it adds to ``sys.path`` only after its own ``.pth`` files have run), whatever is installed.
"""

from __future__ import annotations

import json
import os
import subprocess
import textwrap
import venv
from pathlib import Path

import pytest

from tests.helpers import (
    HOOK,
    HOOK_FILES,
    PLAIN_WORKERS_BARS,
    PROGRAMS,
    ROOT,
    assert_bars_ended,
    probe_environment,
    read_jsonl,
    site_packages,
    streams_of,
    wait_for,
)

RUN_TIMEOUT = 120.0


def run(python: Path, args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(python), *args],
        env=probe_environment(**env),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
    )


def test_a_plain_tqdm_script_and_all_its_workers_arrive(tmp_path, start_collector, hooked_python):
    out = tmp_path / "events.jsonl"
    collector = start_collector("--interval", "0", "--sink", f"file:{out}")
    result = run(
        hooked_python,
        [str(PROGRAMS / "tqdm_plain_workers.py")],
        tmp_path,
        HOTPROBE_TQDM="1",
        HOTPROBE_ENDPOINT=collector.endpoint,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["[0,", "1,", "2,", "3]", "True"]  # probe came with tqdm

    def ended() -> bool:
        ends = {e["probe"] for e in read_jsonl(out) if e["event"] == "end"}
        return set(PLAIN_WORKERS_BARS) <= ends

    assert wait_for(ended), sorted(streams_of(read_jsonl(out)))
    assert collector.stop() == 0
    streams = streams_of(read_jsonl(out))
    assert_bars_ended(streams, PLAIN_WORKERS_BARS)
    parent = streams["main"][0]["pid"]
    assert streams["process_map"][0]["pid"] == parent
    workers = {streams[f"worker-{kind}"][0]["pid"] for kind in ("fork", "spawn", "forkserver")}
    assert len(workers) == 3 and parent not in workers
    assert all(streams[f"task-{i}"][0]["pid"] not in workers | {parent} for i in range(4))
    assert len({e["run"] for e in read_jsonl(out)}) == 1  # the workers inherit the run id


def test_python_dash_m_and_console_scripts_are_covered(tmp_path, start_collector, hooked_python):
    console_script = tmp_path / "tool"  # what pip writes for a [project.scripts] entry
    console_script.write_text(
        f"#!{hooked_python}\nimport sys\nsys.path.insert(0, {str(PROGRAMS)!r})\n"
        "from tqdm_six import main\nsys.exit(main('as-console-script'))\n"
    )
    console_script.chmod(0o755)
    out = tmp_path / "events.jsonl"
    collector = start_collector("--interval", "0", "--sink", f"file:{out}")
    env = {"HOTPROBE_TQDM": "1", "HOTPROBE_ENDPOINT": collector.endpoint}
    by_module = run(hooked_python, ["-m", "tqdm_six"], PROGRAMS, **env)
    assert by_module.returncode == 0, by_module.stderr
    by_script = subprocess.run(
        [str(console_script)],
        env=probe_environment(**env),
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
    )
    assert by_script.returncode == 0, by_script.stderr

    def ended() -> bool:
        names = {e["probe"] for e in read_jsonl(out) if e["event"] == "end"}
        return {"as-module", "as-console-script"} <= names

    assert wait_for(ended), read_jsonl(out)
    assert collector.stop() == 0
    for name, events in streams_of(read_jsonl(out)).items():
        # a refresh of tqdm's display may send a progress event, on a slow machine
        ends = [(e["event"], e["n"], e["total"]) for e in events if e["event"] != "progress"]
        assert ends == [("start", 0, 6), ("end", 6, 6)], name
        assert all(e["total"] == 6 and 0 <= e["n"] <= 6 for e in events), name


@pytest.mark.parametrize("first_import", ["tqdm", "probe"])
@pytest.mark.parametrize(
    ("value", "patched"), [(None, False), ("0", False), ("no", False), ("1", True)]
)
def test_the_variable_decides_and_tqdm_waits_for_the_program(
    tmp_path, hooked_python, value, patched, first_import
):
    env = {"HOTPROBE_DISABLE": "1"} if value is None else {"HOTPROBE_TQDM": value}
    state = [str(PROGRAMS / "tqdm_startup_state.py"), first_import]
    result = run(hooked_python, state, tmp_path, **env)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"before_tqdm": [], "patched": patched}
    assert "cannot patch" not in result.stderr


@pytest.mark.slow
def test_an_editable_install_puts_the_hook_in_site_packages(tmp_path):
    """``pip install -e .``, as the README says, in a fresh environment; then uninstalled."""
    environment = tmp_path / "fresh"
    venv.create(environment, with_pip=True)
    pip = [str(environment / "bin" / "python"), "-m", "pip", "--disable-pip-version-check"]
    alone = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}  # only what it installs
    install = subprocess.run(
        [*pip, "install", "-q", "--no-deps", "-e", str(ROOT)],
        capture_output=True,
        text=True,
        timeout=300,
        env=alone,
    )
    assert install.returncode == 0, install.stderr
    installed = [site_packages(environment) / name for name in HOOK_FILES.values()]
    assert [path.read_text() for path in installed] == [path.read_text() for path in HOOK_FILES]
    line = textwrap.dedent(HOOK.read_text()).strip()
    assert line.startswith("import ") and "\n" not in line  # site runs one such line
    uninstall = subprocess.run(
        [*pip, "uninstall", "-y", "-q", "hotprobe"],
        capture_output=True,
        text=True,
        timeout=120,
        env=alone,
    )
    assert uninstall.returncode == 0, uninstall.stderr
    assert not any(path.exists() for path in installed)
