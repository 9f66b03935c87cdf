"""The command's output, read from its pipe and shown line by line above the live view.

Its standard output and standard error share one pipe, so their lines keep the order in which
they were written. A line is shown as a terminal would leave it: a carriage return starts it
over, so a progress bar that redraws itself in place (tqdm's own) is shown once, in its final
state, when its line ends; escape sequences other than colours are dropped on the way (rich's
ANSI decoder).
"""

from __future__ import annotations

import os
import sys
import threading
from typing import TextIO

CHUNK = 1 << 16


def fold_carriage_returns(line: bytes) -> bytes:
    """What is left of a line on a terminal when its carriage returns redraw it: the last
    part written after one (a trailing carriage return redraws nothing yet)."""
    stripped = line.rstrip(b"\r")
    return stripped.rpartition(b"\r")[2] if b"\r" in stripped else stripped


class OutputRelay:
    """Reads ``fd`` in a thread until end of file and writes each whole line to the current
    ``sys.stdout`` (rich's proxy while the live view is on, which prints above the view)."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.lines = 0
        self._thread = threading.Thread(target=self._relay, name="hotprobe-run-output", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the end of the output; True if it came within ``timeout``."""
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def _relay(self) -> None:
        pending = b""
        try:
            while True:
                chunk = os.read(self.fd, CHUNK)
                if not chunk:
                    break
                *lines, pending = (pending + chunk).split(b"\n")
                if b"\r" in pending:  # a bar redrawn in place: keep only what shows
                    ending = b"\r" if pending.endswith(b"\r") else b""
                    pending = fold_carriage_returns(pending) + ending
                if lines:
                    self._show(lines)
        except OSError:
            pass
        finally:
            if pending:
                self._show([pending])
            os.close(self.fd)

    def _show(self, lines: list[bytes]) -> None:
        text = "".join(
            fold_carriage_returns(line).decode("utf-8", "replace") + "\n" for line in lines
        )
        self.lines += len(lines)
        out: TextIO = sys.stdout
        try:
            out.write(text)
            out.flush()
        except (OSError, ValueError):  # the terminal went away: keep reading, show nothing
            pass
