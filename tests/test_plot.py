"""``hotprobe plot``: a real recorded run drawn to PNG and SVG, stream and run selection,
and clear errors."""

from __future__ import annotations

import subprocess
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from collector.cli import main
from collector.plot.source import select
from tests.helpers import ROOT, CollectorProcess, program, read_jsonl, run_program, wait_for


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A JSON-lines file written by the file sink of a real collector during a real run."""
    tmp_path = tmp_path_factory.mktemp("recorded")
    path = tmp_path / "run.jsonl"
    collector = CollectorProcess(tmp_path, ["--sink", f"file:{path}"]).start()
    try:
        result = run_program("plot_workload", endpoint=collector.endpoint)
        assert result.returncode == 0, result.stderr
        finished = {"solve", "load", "step"}
        assert wait_for(
            lambda: finished <= {e["probe"] for e in read_jsonl(path) if e["event"] == "end"}
        ), read_jsonl(path)
    finally:
        assert collector.stop() == 0
    return path


@pytest.fixture(scope="module")
def recorded_with_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real collector's file, from a real run whose ``fit`` loop reports ``loss`` and which
    sends one mark."""
    tmp_path = tmp_path_factory.mktemp("recorded-data")
    path = tmp_path / "run.jsonl"
    collector = CollectorProcess(tmp_path, ["--interval", "0", "--sink", f"file:{path}"]).start()
    try:
        result = run_program(
            "history_workload", "done", endpoint=collector.endpoint, HOTPROBE_RUN="field-run"
        )
        assert result.returncode == 0, result.stderr
        assert wait_for(lambda: "checkpoint" in {e["probe"] for e in read_jsonl(path)})
    finally:
        assert collector.stop() == 0
    return path


def image_pixels(path: Path) -> np.ndarray:
    return np.asarray(Image.open(path).convert("RGB"), dtype=float)


def test_png_has_the_size_asked_for_and_is_not_blank(recorded: Path, tmp_path: Path, capsys):
    png = tmp_path / "run.png"
    assert main(["plot", str(recorded), "-o", str(png), "--width", "640", "--height", "480"]) == 0
    assert "wrote" in capsys.readouterr().err
    assert Image.open(png).size == (640, 480)
    pixels = image_pixels(png)
    assert pixels.std() > 20, "not a blank image"
    colours = {tuple(p) for p in pixels.reshape(-1, 3)[::7]}
    assert len(colours) > 50, "lines in several colours, not just text on white"


def test_svg_has_the_size_asked_for(recorded: Path, tmp_path: Path) -> None:
    svg = tmp_path / "run.svg"
    assert main(["plot", str(recorded), "-o", str(svg), "--width", "900", "--height", "300"]) == 0
    root = ElementTree.parse(svg).getroot()
    # 100 pixels per inch, 72 points per inch
    assert (root.get("width"), root.get("height")) == ("648pt", "216pt")
    text = svg.read_text()
    for name in ("solve", "load", "fit", "step"):
        assert f"{name}" in text, f"{name} is in the legend"


def test_probe_globs_pick_the_streams(recorded: Path, tmp_path: Path) -> None:
    events = read_jsonl(recorded)
    assert sorted(s.probe for s in select(events, ["s*"]).series) == ["solve", "step"]
    assert sorted(s.probe for s in select(events, ["fit", "load"]).series) == ["fit", "load"]
    svg = tmp_path / "some.svg"
    assert main(["plot", str(recorded), "-o", str(svg), "--probe", "f*"]) == 0
    text = svg.read_text()
    assert "fit" in text and "solve" not in text


def event(run: str, probe: str, second: int, kind: str = "progress", n: int = 1, **fields):
    return {
        "timestamp": f"2026-11-27T10:00:{second:02d}+00:00",
        "run": run,
        "probe": probe,
        "event": kind,
        "n": n,
        "host": "h",
        "pid": 1,
        **fields,
    }


def test_the_newest_run_is_drawn_unless_one_is_asked_for() -> None:
    events = [
        event("old", "a", 1),
        event("new", "a", 5),
        event("new", "b", 6),
        event("old", "a", 3),
    ]
    assert select(events).run == "new"
    assert [len(s.times) for s in select(events).series] == [1, 1]
    assert [s.run for s in select(events, run="old").series] == ["old"]
    assert len(select(events, run="old").series[0].times) == 2
    assert len(select(events, run="all").series) == 3 - 1  # (h, 1, a) spans both runs


def test_restarts_break_the_line_and_unusable_records_are_counted() -> None:
    events = [
        event("r", "batch", 1, "start", 0, total=10),
        event("r", "batch", 2, "end", 10, total=10),
        event("r", "batch", 3, "start", 0, total=10),
        event("r", "batch", 4, "error", 4, total=10, error={"type": "E", "message": "x"}),
        event("r", "result", 5, "mark"),
        {"message": "ping"},
        event("r", "bad", 6) | {"timestamp": "not a time"},
        event("r", "bad", 7, n=float("inf")),
        event("r", "bad", 8) | {"n": True},
        event("r", "batch", 9, n=5, total=float("nan"), rate=float("inf")),
    ]
    chosen = select(events)
    (series,) = chosen.series
    assert series.n == [0, 10, None, 0, 4, 5]
    assert series.total == 10
    assert series.rates == []
    assert [n for _, n in series.errors] == [4]
    assert [label for _, label in chosen.marks] == ["result"]  # drawn as a labelled tick
    assert chosen.skipped == 4


def test_clear_errors(tmp_path: Path, capsys) -> None:
    missing = tmp_path / "missing.jsonl"
    assert main(["plot", str(missing), "-o", str(tmp_path / "x.png")]) == 1
    assert "cannot read" in capsys.readouterr().err
    assert main(["plot", str(missing), "-o", str(tmp_path / "x.jpg")]) == 2
    assert ".png or .svg" in capsys.readouterr().err
    empty = tmp_path / "empty.jsonl"
    empty.write_text('{"message": "ping"}\nnot json\n')
    assert main(["plot", str(empty), "-o", str(tmp_path / "x.png")]) == 1
    assert "nothing to draw" in capsys.readouterr().err
    assert not (tmp_path / "x.png").exists()


def test_without_matplotlib_the_message_says_how_to_install_it(tmp_path: Path) -> None:
    command = program(
        "hotprobe_without_matplotlib", "plot", str(tmp_path / "r.jsonl"), "-o", "x.png"
    )
    result = subprocess.run(command, capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert result.returncode == 1
    assert "python -m pip install 'hotprobe[plot]'" in result.stderr
    assert "Traceback" not in result.stderr


def test_rotated_files_are_drawn_together(recorded: Path, tmp_path: Path) -> None:
    lines = recorded.read_bytes().splitlines(keepends=True)
    older, newer = tmp_path / "run.jsonl.1", tmp_path / "run.jsonl"
    older.write_bytes(b"".join(lines[: len(lines) // 2]))
    newer.write_bytes(b"".join(lines[len(lines) // 2 :]))
    whole, parts = tmp_path / "whole.svg", tmp_path / "parts.svg"
    assert main(["plot", str(recorded), "-o", str(whole)]) == 0
    assert main(["plot", str(older), str(newer), "-o", str(parts)]) == 0
    assert parts.read_text() == whole.read_text()


def test_data_fields_marks_and_a_time_span_are_selected() -> None:
    events = [
        event("r", "fit", 1, data={"loss": 1.0}),
        event("r", "fit", 2, data={"loss": 0.5, "note": "text"}),
        event("r", "load", 3),
        event("r", "epoch-1", 4, "mark"),
        event("r", "fit", 6, data={"loss": 0.25}),
    ]
    chosen = select(events, fields=["loss", "note"])
    fit, load = chosen.series
    assert fit.fields["loss"][1] == [1.0, 0.5, 0.25]
    assert "note" not in fit.fields and load.fields == {}  # only numbers, only where carried
    assert [label for _, label in chosen.marks] == ["epoch-1"]
    span = select(events, fields=["loss"], since=fit.times[1], until=load.times[0])
    assert span.series[0].fields["loss"][1] == [0.5]
    assert span.marks == []  # the mark came after the span
    assert [label for _, label in select(events, since=load.times[0]).marks] == ["epoch-1"]


def test_a_field_is_drawn_in_its_own_panel_and_the_default_name_is_the_run(
    recorded_with_data: Path, tmp_path: Path, monkeypatch, capsys
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["plot", str(recorded_with_data), "--field", "loss"]) == 0
    out, err = capsys.readouterr()
    assert out.strip() == "field-run.png"
    assert "1 marks" in err
    pixels = image_pixels(tmp_path / "field-run.png")
    assert pixels.std() > 20 and len({tuple(p) for p in pixels.reshape(-1, 3)[::7]}) > 50
    assert main(["plot", str(recorded_with_data), "--field", "nope", "-o", "x.svg"]) == 0
    assert "no stream carries nope" in capsys.readouterr().err


def test_the_panels_are_progress_rate_and_each_field(recorded_with_data: Path, tmp_path) -> None:
    from collector.history.read import Unreadable, read_events
    from collector.plot.draw import draw

    events = [e for batch in read_events([str(recorded_with_data)], Unreadable()) for e in batch]
    chosen = select(events, fields=["loss"])
    assert [label for _, label in chosen.marks] == ["checkpoint"]
    panels = draw(chosen.series, str(tmp_path / "a.png"), 800, 600, "t", ["loss"], chosen.marks)
    assert panels == ["% of total", "rate (per s)", "loss"]
    assert draw(chosen.series, str(tmp_path / "b.png"), 800, 600, "t") == panels[:2]
