"""A user's own ``plugins`` or ``probe`` package never stands in for hotprobe's: started in
its directory the collector runs with its own; put first on the path, it is named and refused."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from collector.pipeline.endpoints import free_tcp_endpoint
from tests.event_sender import make_events, send
from tests.helpers import ROOT, probe_environment, program, read_jsonl, wait_for


def user_package(directory: Path, name: str) -> Path:
    """A package ``name`` in ``directory`` that leaves a file behind if it is ever imported."""
    package = directory / name
    package.mkdir()
    marker = directory / f"{name}-was-imported"
    code = f"open({str(marker)!r}, 'w').close()\n"
    (package / "__init__.py").write_text(code)
    for module in ("stdout", "file", "mongodb", "live", "protocol"):
        (package / f"{module}.py").write_text(code)
    return marker


def environment(*first: Path) -> dict[str, str]:
    """The probe environment with ``first`` ahead of this checkout on ``PYTHONPATH``."""
    return probe_environment(PYTHONPATH=os.pathsep.join([*map(str, first), str(ROOT)]))


@pytest.mark.parametrize("name", ["plugins", "probe"])
def test_python_m_collector_in_a_directory_with_such_a_package_runs_its_own(
    tmp_path, start_collector, name
):
    marker = user_package(tmp_path, name)  # start_collector runs python -m collector there
    out = tmp_path / "out.jsonl"
    collector = start_collector("--interval", "0", "--sink", f"file:{out}")
    send(collector.endpoint, make_events(100))
    assert wait_for(lambda: len(read_jsonl(out)) == 100), collector.stderr
    assert collector.stop() == 0, collector.stderr
    assert not marker.exists(), f"the user's {name} package was imported"


def test_the_hotprobe_command_never_imports_a_collector_package_where_it_runs(tmp_path):
    marker = user_package(tmp_path, "collector")
    hotprobe = shutil.which("hotprobe")
    assert hotprobe, "the hotprobe command is installed"
    result = subprocess.run(
        [hotprobe, "sinks"], cwd=tmp_path, env=environment(), capture_output=True, text=True,
        timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "file" in result.stdout and not marker.exists()


def test_such_a_package_first_on_the_path_is_named_and_refused(tmp_path):
    name = "plugins"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    user_package(elsewhere, name)
    for command in (["collect", "--bind", free_tcp_endpoint(), "--sink", "stdout"], ["sinks"]):
        result = subprocess.run(
            program("hotprobe_command", *command),
            cwd=tmp_path,
            env=environment(elsewhere),
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 2, result.stderr
        assert result.stderr.count("\n") == 1, result.stderr
        assert str(elsewhere / name / "__init__.py") in result.stderr
        assert str(ROOT / name / "__init__.py") in result.stderr
        assert "shadows it" in result.stderr
