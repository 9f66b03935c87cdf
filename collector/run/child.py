"""The command ``hotprobe run`` watches: started in its own process group, sent the signals
``hotprobe run`` receives, and waited for.

In its own process group, a command gets each signal once: ``hotprobe run``, in the
terminal's foreground group, receives Ctrl-C and passes it on to the command's whole group
(the command and the processes it started), as a terminal would have. The command's standard
input is the terminal's only when it is not a terminal (a pipe or a file): reading a terminal
from a background group would stop the command.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from typing import IO

#: Signals passed on to the command while it runs.
FORWARDED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def exit_status(returncode: int) -> int:
    """A shell's exit status for a child's return code: 128+N after signal N."""
    return 128 - returncode if returncode < 0 else returncode


class Command:
    """One command line, run once."""

    def __init__(self, argv: list[str], env: dict[str, str]) -> None:
        self.argv = argv
        self.env = env
        self.process: subprocess.Popen | None = None
        self.started = 0.0
        self.duration = 0.0

    def start(self, output: IO | int | None = None) -> None:
        """Start the command; ``output`` takes both its standard output and error (None:
        they stay ``hotprobe run``'s). Raises ``OSError`` if it cannot be started."""
        stdin = subprocess.DEVNULL if _is_terminal(sys.stdin) else None
        self.started = time.monotonic()
        self.process = subprocess.Popen(
            self.argv,
            env=self.env,
            stdin=stdin,
            stdout=output,
            stderr=subprocess.STDOUT if output is not None else None,
            process_group=0,
        )

    def forward(self, signum: int) -> None:
        """Send ``signum`` to the command's process group, if it still runs."""
        if self.process is not None and self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.process.pid, signum)

    def wait(self) -> int:
        """Wait for the command to end (signals still reach their handlers meanwhile);
        returns its exit status."""
        assert self.process is not None
        returncode = self.process.wait()
        self.duration = time.monotonic() - self.started
        return exit_status(returncode)

    @property
    def signal_name(self) -> str | None:
        """The signal that ended the command, if one did: ``SIGINT``."""
        if self.process is None or self.process.returncode is None:
            return None
        if self.process.returncode >= 0:
            return None
        try:
            return signal.Signals(-self.process.returncode).name
        except ValueError:
            return f"signal {-self.process.returncode}"


def _is_terminal(stream: IO | None) -> bool:
    try:
        return stream is not None and stream.isatty()
    except (ValueError, OSError):
        return False
