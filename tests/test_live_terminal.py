"""``hotprobe demo`` in a real pseudo-terminal: the live view, a clean end, a usable terminal."""

from __future__ import annotations

import subprocess

import orjson

from tests.helpers import ROOT, probe_environment, program
from tests.terminal import Terminal

TIMEOUT = 90.0
HIDE_CURSOR, SHOW_CURSOR = b"\x1b[?25l", b"\x1b[?25h"


def demo_environment() -> dict[str, str]:
    environment = {
        k: v for k, v in probe_environment().items() if k not in ("COLUMNS", "LINES", "NO_COLOR")
    }
    environment["TERM"] = "xterm-256color"
    return environment


def run_in_pty(command: list[str]) -> tuple[int, bytes, list, list]:
    """Run ``command`` with a 120x30 pseudo-terminal as stdin, stdout and stderr.

    Returns the exit status, everything it wrote, and the terminal's attributes before and
    after."""
    with Terminal(command, demo_environment(), columns=120, rows=30, cwd=ROOT) as terminal:
        status = terminal.read_to_end(TIMEOUT)
        return status, bytes(terminal.output), terminal.modes_at_start, terminal.modes()


def test_demo_shows_the_live_view_and_leaves_the_terminal_usable() -> None:
    status, output, before, after = run_in_pty(program("hotprobe_command", "demo"))
    text = output.decode(errors="replace")
    assert status == 0, text[-3000:]
    assert after == before, "the terminal's modes are unchanged"
    assert HIDE_CURSOR in output, "the live view ran"
    assert output.rstrip(b"\r\n").endswith(SHOW_CURSOR), "the cursor is shown again at the end"
    last_frame = text.rsplit("probe", 1)[-1]
    for expected in ("estimate_pi", "chain[0]", "chain[3]", "done", "failed", "FloatingPointError"):
        assert expected in last_frame, text[-3000:]
    assert "streams:" in last_frame


def test_demo_writes_json_lines_when_stdout_is_not_a_terminal() -> None:
    result = subprocess.run(
        program("hotprobe_command", "demo"),
        capture_output=True,
        env=demo_environment(),
        cwd=ROOT,
        timeout=TIMEOUT,
    )
    assert result.returncode == 0, result.stderr.decode()[-3000:]
    events = [orjson.loads(line) for line in result.stdout.splitlines()]
    ends = {e["probe"] for e in events if e.get("event") == "end"}
    assert {"estimate_pi", "chain[0]", "chain[1]", "chain[3]"} <= ends
    assert [e["error"]["type"] for e in events if e.get("event") == "error"] == [
        "FloatingPointError"
    ]
