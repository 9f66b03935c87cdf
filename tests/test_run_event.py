"""The ``run`` event: what a run was, sent once by the process that starts it."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from probe._runinfo import format_labels, parse_labels
from probe.protocol import new_run_id, script_name
from tests.helpers import probe_environment, program, read_jsonl, run_program, wait_for

RUN_ID = re.compile(r"(?P<name>[A-Za-z0-9_.-]+)-(?P<stamp>\d{8}T\d{6})-[0-9a-f]{6}")


def git(repository, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=repository, capture_output=True, text=True, check=True, timeout=30
    ).stdout.strip()


def make_repository(path) -> str:
    """A real repository with one commit; returns the commit."""
    path.mkdir()
    git(path, "init", "-q", "-b", "trunk")
    (path / "tracked.txt").write_text("one\n")
    git(path, "add", "tracked.txt")
    git(path, "-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit", "-qm", "one")
    return git(path, "rev-parse", "HEAD")


def run_in(
    tmp_path, start_collector, cwd, name: str = "describe_run", minimum: int = 4, **env: str
) -> list[dict]:
    """Run ``tests/programs/<name>.py --epochs 2`` in ``cwd`` until ``minimum`` events other
    than ``run`` have arrived; returns every event."""
    out = tmp_path / f"events-{cwd.name}.jsonl"
    collector = start_collector("--interval", "0", "--sink", f"file:{out}")
    result = subprocess.run(
        program(name, "--epochs", "2"),
        cwd=cwd,
        env=probe_environment(collector.endpoint, **env),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert wait_for(lambda: sum(e["probe"] != "<run>" for e in read_jsonl(out)) >= minimum)
    assert collector.stop() == 0
    return read_jsonl(out)


def test_the_run_event_says_what_the_run_is_and_children_join_it(tmp_path, start_collector):
    repository = tmp_path / "repo"
    commit = make_repository(repository)
    (repository / "tracked.txt").write_text("changed\n")  # dirty
    events = run_in(tmp_path, start_collector, repository, HOTPROBE_LABELS="seed=7")
    [run] = [e for e in events if e["event"] == "run"]  # configure came before any event
    assert run["probe"] == "<run>" and run["n"] == 0 and run["unit"] is None
    info = run["info"]
    assert info["phase"] == "start"
    assert info["argv"] == program("describe_run", "--epochs", "2")[1:]
    assert info["cwd"] == str(repository)
    assert info["python"] == ".".join(map(str, sys.version_info[:3]))
    assert info["git"] == {"commit": commit, "branch": "trunk", "dirty": True}
    assert info["labels"] == {"lr": 0.1, "model": "small"}  # configure replaces the variable
    match = RUN_ID.fullmatch(run["run"])
    assert match and match["name"] == "describe_run", run["run"]
    assert {e["run"] for e in events} == {run["run"]}  # children inherit the run
    names = sorted(e["probe"] for e in events)
    assert names == ["<run>", "in-child", "in-child", "in-subprocess", "parent"]
    assert events[0]["event"] == "run"  # sent before the process's first event


def test_a_clean_repository_labels_from_the_environment_and_no_repository(
    tmp_path, start_collector
):
    repository = tmp_path / "repo"
    make_repository(repository)
    events = run_in(
        tmp_path, start_collector, repository, "iterate_and_emit", 3, HOTPROBE_LABELS="a=1, b"
    )
    [run] = [e for e in events if e["event"] == "run"]
    assert run["info"]["git"]["dirty"] is False
    assert run["info"]["labels"] == {"a": "1", "b": ""}
    elsewhere = tmp_path / "not-a-repo"
    elsewhere.mkdir()
    events = run_in(tmp_path, start_collector, elsewhere, "iterate_and_emit", 3)
    [run] = [e for e in events if e["event"] == "run"]
    assert run["info"]["git"] is None and run["info"]["labels"] == {}


def test_labels_set_after_the_first_event_are_sent_again(start_collector, tmp_path):
    out = tmp_path / "events.jsonl"
    collector = start_collector("--interval", "0", "--sink", f"file:{out}")
    result = run_program("labels_later", endpoint=collector.endpoint)
    assert result.returncode == 0, result.stderr
    assert wait_for(lambda: len(read_jsonl(out)) == 4)
    assert collector.stop() == 0
    order = [(e["probe"], e.get("info", {}).get("labels")) for e in read_jsonl(out)]
    assert order == [("<run>", {}), ("first", None), ("<run>", {"phase": "two"}), ("second", None)]


def test_a_given_run_id_is_joined_without_a_run_event(start_collector, tmp_path):
    out = tmp_path / "events.jsonl"
    collector = start_collector("--interval", "0", "--sink", f"file:{out}")
    result = run_program("iterate_and_emit", endpoint=collector.endpoint, HOTPROBE_RUN="job-1")
    assert result.returncode == 0, result.stderr
    assert wait_for(lambda: any(e["probe"] == "b" for e in read_jsonl(out)))
    assert collector.stop() == 0
    assert {(e["probe"], e["run"]) for e in read_jsonl(out)} == {("a", "job-1"), ("b", "job-1")}


def test_script_names_and_run_ids():
    assert script_name(["train.py"]) == "train"
    assert script_name(["/usr/bin/python3.12", "-u", "-X", "dev", "fit.py", "--lr=1"]) == "fit"
    assert script_name(["python", "-m", "pkg.train"]) == "train"
    assert script_name(["python", "-c", "pass"]) == "python"
    assert script_name(["-c"]) == "python"
    assert script_name(["./run all.sh"]) == "run_all"
    assert script_name(["/x/ipykernel_launcher.py", "-f", "k.json"]) == "jupyter"
    ids = [new_run_id(["train.py"], now=t) for t in (1_800_000_000, 1_800_000_001)]
    assert ids == sorted(ids) and ids[0].startswith("train-20270115T080000-")
    assert parse_labels(" a = 1 ,,b=x=y") == {"a": "1", "b": "x=y"}


def test_labels_travel_to_children_as_json_and_keep_their_types():
    labels = {"lr": 0.1, "note": "a,b=c", "ok": True, "n": None, "é": [1, "x"], "nan": float("nan")}
    text = format_labels(labels)
    assert parse_labels(text) == {**labels, "nan": None}  # as events carry nan
    assert parse_labels(' {"a": 1}') == {"a": 1}
    assert parse_labels("{not json}=1") == {"{not json}": "1"}  # the k=v form, then
    assert parse_labels("[1, 2]") == {"[1": "", "2]": ""}


@pytest.mark.parametrize("inherited", [None, "job-1"])
def test_configure_run_reaches_children_started_after_it(start_collector, tmp_path, inherited):
    """Without ``HOTPROBE_RUN`` (the probe made an id) or given one: after
    ``configure(run="x", labels=...)``, a subprocess and a spawned child join run ``x``, carry
    the labels with their types, and send no ``run`` event of their own."""
    out = tmp_path / "events.jsonl"
    collector = start_collector("--interval", "0", "--sink", f"file:{out}")
    env = {"HOTPROBE_RUN": inherited} if inherited else {}
    result = run_program("configured_run_children", endpoint=collector.endpoint, **env)
    assert result.returncode == 0, result.stderr
    assert wait_for(lambda: sum(e["probe"] == "child" for e in read_jsonl(out)) == 2)
    assert collector.stop() == 0
    events = read_jsonl(out)
    [before] = [e for e in events if e["probe"] == "before"]
    parent = before["pid"]
    if inherited:
        assert before["run"] == inherited
    else:
        assert RUN_ID.fullmatch(before["run"]).group("name") == "configured_run_children"
    children = [e for e in events if e["probe"] == "child"]
    assert sorted(e["data"]["kind"] for e in children) == ["spawn", "subprocess"]
    assert len({e["pid"] for e in children} | {parent}) == 3
    assert {e["run"] for e in events if e["probe"] != "before" and e["event"] != "run"} == {"x"}
    for event in children:
        assert event["data"]["labels"] == {"lr": 0.1, "note": "a,b=c", "seed": 7}
    runs = [(e["pid"], e["run"], e["info"]["labels"]) for e in events if e["event"] == "run"]
    expected_labels = {"lr": 0.1, "note": "a,b=c", "seed": 7}
    assert runs[-1] == (parent, "x", expected_labels)  # only the parent describes run x
    assert all(pid == parent for pid, _, _ in runs)


def test_configure_never_breaks_the_program_through_the_environment(monkeypatch):
    """Labels too long for an environment string, a run id no environment can hold, labels
    with a lone surrogate: the probe keeps them to itself, later ``subprocess`` calls still
    work, and ``configure`` does not raise."""
    import os

    import probe
    from probe import _settings

    before = _settings.settings
    monkeypatch.setenv("HOTPROBE_RUN", before.run)  # restored after the test
    monkeypatch.delenv("HOTPROBE_LABELS", raising=False)
    try:
        probe.configure(labels={"config": "x" * (_settings.MAX_LABELS_IN_ENVIRONMENT + 1)})
        assert "HOTPROBE_LABELS" not in os.environ
        assert subprocess.run(["true"], timeout=30).returncode == 0  # no E2BIG
        probe.configure(run=123)
        assert _settings.settings.run == os.environ["HOTPROBE_RUN"] == "123"
        probe.configure(run="a\0b")  # the environment refuses a NUL: kept in-process only
        assert (_settings.settings.run, os.environ["HOTPROBE_RUN"]) == ("a\0b", "123")
        probe.configure(labels={"odd": "\ud800"})
        assert parse_labels(os.environ["HOTPROBE_LABELS"]) == {"odd": "\ud800"}
    finally:
        probe.configure(run=before.run, labels=before.labels)
    assert parse_labels('{"a":' + "[" * 100_000 + "]" * 100_000 + "}") == {
        '{"a":' + "[" * 100_000 + "]" * 100_000 + "}": ""
    }  # too deep for json: read as one k=v label, never an error at import
