"""Text from events is inert wherever a person reads it: the live view on a real terminal,
stdout's JSON lines, the collector's log lines and ``hotprobe plot``'s labels."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import time
from datetime import datetime, timezone

import orjson
import pytest

from collector.cli import main
from collector.logformat import InertFormatter
from collector.pipeline.endpoints import free_tcp_endpoint
from collector.text import inert, inert_json, rich_text
from tests.event_sender import send
from tests.helpers import probe_environment, program, read_jsonl, wait_for
from tests.terminal import Terminal

TIMEOUT = 60.0

TITLE = "\x1b]0;PWNED-TITLE\x07"  # OSC 0: sets the window title
CLIPBOARD = "\x1b]52;c;cHduZWQ=\x07"  # OSC 52: writes the clipboard
CLEAR = "\x1b[2J\x1b[3J"  # erase the screen and the scrollback
RESET = "\x1bc"  # RIS: full reset
C1_CSI = "\x9b2J"  # the 8-bit CSI: erase the screen on terminals that take C1 controls
NEXT_LINE = "\x85"  # C1 NEL
BIDI = "\u202eevil\u2066x\u2069"  # right-to-left override and an isolate
MARKUP = "[bold red]markup[/]"
EMOJI = ":warning:"

#: Byte sequences that must never reach the terminal.
FORBIDDEN = {
    "OSC (title, clipboard)": b"\x1b]",
    "erase screen": b"\x1b[2J",
    "erase scrollback": b"\x1b[3J",
    "full reset": b"\x1bc",
    "C1 CSI": "\x9b".encode(),
    "C1 NEL": "\x85".encode(),
    "right-to-left override": "\u202e".encode(),
    "isolate": "\u2066".encode(),
    "BEL": b"\x07",
}


def hostile_events() -> list[dict]:
    """One stream per kind of attack, each in the field a person sees."""
    now = datetime.now(timezone.utc).isoformat()
    base = {"v": 1, "timestamp": now, "run": "r", "seq": 0, "total": 10, "n": 3}
    return [
        {**base, "probe": f"{TITLE}title", "host": "h1", "pid": 1, "event": "progress"},
        {**base, "probe": "clear", "host": f"{CLEAR}host", "pid": RESET, "event": "progress"},
        {
            **base,
            "probe": "failing",
            "host": "h3",
            "pid": 3,
            "event": "error",
            "error": {"type": "Boom", "message": f"{CLIPBOARD}clip"},
        },
        {**base, "probe": "c1", "host": "h4", "pid": 4, "event": "progress",
         "data": {"v": f"{C1_CSI}{NEXT_LINE}x"}},
        {**base, "probe": f"bidi{BIDI}", "host": "h5", "pid": 5, "event": "progress"},
        {**base, "probe": MARKUP, "host": EMOJI, "pid": 6, "event": "progress",
         "data": {"m": "[blink]b[/]"}},
    ]  # fmt: skip


def collector_in_pty(sink: str, events: list[dict], *shown: bytes) -> tuple[int, bytes]:
    """A real collector with ``--sink SINK`` on a 160x30 pseudo-terminal: wait for it to
    listen, send ``events``, wait until every one of ``shown`` is on screen, SIGTERM.
    Returns the exit status and every byte written to the terminal."""
    endpoint = free_tcp_endpoint()
    command = program("hotprobe_command", "collect", "--bind", endpoint, "--interval", "0")
    environment = {k: v for k, v in probe_environment().items() if k not in ("COLUMNS", "LINES")}
    with Terminal(
        [*command, "--sink", sink, "--dead-letter", os.devnull],
        {**environment, "TERM": "xterm-256color"},
        columns=160,
        rows=30,
    ) as terminal:
        terminal.read_until(b"listening on", TIMEOUT)
        send(endpoint, events)
        for marker in shown:
            terminal.read_until(marker, TIMEOUT)
        terminal.proc.send_signal(signal.SIGTERM)
        status = terminal.read_to_end(TIMEOUT)
    return status, bytes(terminal.output)


def test_the_live_view_shows_hostile_text_as_inert_text() -> None:
    events = hostile_events()
    count = len(events)
    status, output = collector_in_pty(
        "live?refresh=20", events, b"%d streams" % count, b"%d events" % count
    )
    assert status == 0, output.decode(errors="replace")[-3000:]
    for name, sequence in FORBIDDEN.items():
        assert sequence not in output, f"{name} reached the terminal"
    text = output.decode()
    # what was sent is shown, as visible escapes, and markup as written
    for shown in (
        r"\x1b]0;PWNED-TITLE\x07title",
        r"\x1b[2J\x1b[3Jhost",
        r"\x1b]52;c;cHduZWQ=\x07clip",
        r"\x9b2J\x85x",
        r"bidi\u202eevil\u2066x\u2069",
        MARKUP,
        EMOJI,
        "m=[blink]b[/]",
    ):
        assert shown in text, shown


def test_stdout_json_lines_on_a_terminal_carry_no_terminal_controls() -> None:
    events = hostile_events()
    status, output = collector_in_pty("stdout", events, b'"m":"[blink]b[/]"}}')
    assert status == 0, output.decode(errors="replace")[-3000:]
    for name, sequence in FORBIDDEN.items():
        assert sequence not in output, f"{name} on the terminal"
    lines = [line for line in output.split(b"\r\n") if line.startswith(b"{")]
    written = [orjson.loads(line) for line in lines]
    assert written == events, "the same JSON values"
    assert rb'"v":"\u009b2J\u0085x"' in output


def test_the_file_sink_keeps_the_text_exactly(tmp_path) -> None:
    """Inert is for display: what is stored is what was sent."""
    out = tmp_path / "out.jsonl"
    endpoint = free_tcp_endpoint()
    proc = subprocess.Popen(
        program("hotprobe_command", "collect", "--bind", endpoint, "--interval", "0",
                "--sink", f"file:{out}"),
        stderr=subprocess.PIPE,
        cwd=tmp_path,
    )  # fmt: skip
    try:
        time.sleep(0.5)
        send(endpoint, hostile_events())
        assert wait_for(lambda: len(read_jsonl(out)) == len(hostile_events()))
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=TIMEOUT)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    stored = [(e["probe"], e["host"], e.get("data")) for e in read_jsonl(out)]
    assert stored == [(e["probe"], e["host"], e.get("data")) for e in hostile_events()]


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("plain text, ünïcödé, 中文, emoji 🎉", "plain text, ünïcödé, 中文, emoji 🎉"),
        ("a\x1b[31mred", r"a\x1b[31mred"),
        ("\x00\x07\x08\x7f", r"\x00\x07\x08\x7f"),
        ("tab\tnew\nline\rcr", r"tab\tnew\nline\rcr"),
        ("\x9b\x85\x90\x9d\x9c\x9f", r"\x9b\x85\x90\x9d\x9c\x9f"),
        ("\u202a\u202b\u202c\u202d\u202e", r"\u202a\u202b\u202c\u202d\u202e"),
        ("\u2066\u2067\u2068\u2069", r"\u2066\u2067\u2068\u2069"),
        ("\u200e\u200f\u061c", r"\u200e\u200f\u061c"),
        ("line\u2028para\u2029", r"line\u2028para\u2029"),
        ("lone \ud800 surrogate", r"lone \ud800 surrogate"),
        (42, "42"),
    ],
)  # fmt: skip
def test_inert_escapes_every_control_and_keeps_the_rest(raw, shown) -> None:
    assert inert(raw) == shown
    assert inert(shown) == shown, "what inert returns is inert"


def test_inert_can_keep_line_breaks_and_rich_text_is_never_markup() -> None:
    assert inert("one\ntwo\x1b", keep_newlines=True) == "one\ntwo\\x1b"
    text = rich_text(f"{MARKUP} {EMOJI}\x1b", "red")
    assert text.plain == f"{MARKUP} {EMOJI}\\x1b"
    assert str(text.style) == "red" and not text.spans


def test_inert_json_is_the_same_json_without_raw_controls() -> None:
    value = {"k\u202e": f"{C1_CSI}{NEXT_LINE}\x7f{BIDI}\u2028 é 中"}
    data = orjson.dumps(value)
    safe = inert_json(data)
    assert orjson.loads(safe) == value
    assert safe.isascii() is False  # é and 中 stay as they are
    for sequence in FORBIDDEN.values():
        assert sequence not in safe
    assert inert_json(b'{"a":"\x7f"}') == b'{"a":"\\u007f"}'
    assert inert_json(b'{"a":1}') == b'{"a":1}'


def test_log_lines_quoting_event_text_are_one_inert_line() -> None:
    record = logging.LogRecord(
        "collector", logging.ERROR, __file__, 1, "sink %r: %s", ("s", "\x1b]0;x\x07\nforged"), None
    )
    line = InertFormatter("hotprobe: %(message)s").format(record)
    assert line == "hotprobe: sink 's': \\x1b]0;x\\x07\\nforged"


def test_plot_labels_are_plain_text(tmp_path) -> None:
    """matplotlib reads ``$...$`` as mathematics (a bad formula stops the drawing) and an
    SVG cannot hold control characters: probe names are shown as written."""
    pytest.importorskip("matplotlib")
    now = time.time()
    lines = []
    for name in ("bad $\\frac{$ math", f"esc{TITLE}", "$x^2$"):
        for n in range(5):
            stamp = datetime.fromtimestamp(now + n, timezone.utc).isoformat()
            lines.append(
                {"v": 1, "timestamp": stamp, "probe": name, "event": "progress", "n": n,
                 "total": 4, "rate": 1.0 + n, "host": "h", "pid": 1, "run": "r", "seq": n}
            )  # fmt: skip
    recorded = tmp_path / "run.jsonl"
    recorded.write_bytes(b"".join(orjson.dumps(line) + b"\n" for line in lines))
    svg = tmp_path / "plot.svg"
    assert main(["plot", str(recorded), "-o", str(svg)]) == 0
    drawn = svg.read_text()
    assert "\x1b" not in drawn and "\x07" not in drawn
    assert "bad $\\frac{$ math" in drawn and "esc\\x1b]0;PWNED-TITLE\\x07" in drawn
