"""A command on a real pseudo-terminal: every byte it writes there, read as it comes."""

from __future__ import annotations

import fcntl
import os
import select
import struct
import subprocess
import termios
import time
from pathlib import Path


class Terminal:
    """``command`` started with a ``columns`` x ``rows`` pseudo-terminal as its stdin, stdout
    and stderr, in a session of its own; ``output`` gathers what it writes there."""

    def __init__(
        self,
        command: list[str],
        env: dict[str, str],
        columns: int,
        rows: int,
        cwd: Path | None = None,
    ) -> None:
        self.master, self.slave = os.openpty()
        fcntl.ioctl(self.slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
        self.modes_at_start = termios.tcgetattr(self.slave)
        self.output = bytearray()
        self.proc = subprocess.Popen(
            command,
            stdin=self.slave,
            stdout=self.slave,
            stderr=self.slave,
            env=env,
            cwd=cwd,
            start_new_session=True,
        )

    def __enter__(self) -> Terminal:
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=10)
        os.close(self.master)
        os.close(self.slave)

    def modes(self) -> list:
        """The terminal's attributes now (``termios.tcgetattr``)."""
        return termios.tcgetattr(self.slave)

    def read_until(self, marker: bytes, timeout: float) -> None:
        """Read until ``marker`` has been written; fails if the command ends first or
        ``timeout`` seconds pass."""
        deadline = time.monotonic() + timeout
        while marker not in self.output:
            assert time.monotonic() < deadline, f"no {marker!r} in:\n{self._tail()}"
            if not self._read():  # nothing more written: the command may have ended
                assert self.proc.poll() is None or self._read(), self._tail()

    def read_to_end(self, timeout: float) -> int:
        """Read until the command has ended and all it wrote is in; returns its exit status.
        Fails if that takes more than ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while self._read() or self.proc.poll() is None:
            assert time.monotonic() < deadline, f"still running after {timeout} s:\n{self._tail()}"
        return self.proc.returncode

    def _read(self) -> bool:
        """Take what the command writes within 0.2 s; false if it wrote nothing."""
        if not select.select([self.master], [], [], 0.2)[0]:
            return False
        self.output += os.read(self.master, 1 << 16)
        return True

    def _tail(self) -> str:
        return self.output.decode(errors="replace")[-3000:]
