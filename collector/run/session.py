"""One ``hotprobe run``: the collector in a thread, the command waited for in the main thread
(where signals are handled), then the run's end delivered and reported."""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from typing import Any

from collector.config import CollectorConfig
from collector.pipeline.collect import Collector
from collector.run.child import FORWARDED, Command
from collector.run.ending import run_end_event, send_and_wait, wait_until
from collector.run.output import OutputRelay

log = logging.getLogger("collector.run")

#: How long to wait for the last of the command's output once it has ended (a process it left
#: behind may hold the pipe open), and for the live view to come up (seconds).
OUTPUT_TIMEOUT = 5.0
VIEW_TIMEOUT = 5.0


class GiveUp(Exception):
    """A second Ctrl-C (or a SIGTERM) while the collector delivers: stop waiting."""


class RunSession:
    """Runs ``argv`` once under ``collector``; ``go`` returns the command's exit status."""

    def __init__(
        self,
        collector: Collector,
        config: CollectorConfig,
        argv: list[str],
        run_id: str,
        record: str | None,
        terminal: bool,
    ) -> None:
        self.collector = collector
        self.config = config
        self.run_id = run_id
        self.record = record
        self.show_output = terminal and any(
            sink.partition("?")[0] == "live" for sink in config.sinks
        )
        self.command = Command(argv, self._environment())
        self.status: int | None = None  # set when the command has ended
        self._delivered = False
        self._collector_status: list[int] = []
        self._thread = threading.Thread(target=self._collect, name="hotprobe-collector")

    def go(self) -> int:
        """Run the command, deliver everything, report; the command's exit status."""
        original_stdout = sys.stdout
        self._thread.start()
        if self.show_output:  # the live view is up (stdout is its proxy) before any output
            wait_until(lambda: sys.stdout is not original_stdout, VIEW_TIMEOUT)
        for signum in FORWARDED:
            signal.signal(signum, self._on_signal)
        status = self.status = self._run_command()
        try:
            end = run_end_event(
                self.run_id,
                self.command.argv,
                status,
                self.command.signal_name,
                self.command.duration,
            )
            send_and_wait(end, self.config.fan_in_endpoints[0], self._received)
            self.collector.stop()
            self._thread.join()
        except GiveUp:
            return self._give_up(status)
        self._delivered = True
        self._report(status)
        return status

    # -- the command ---------------------------------------------------------------------
    def _environment(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            HOTPROBE_ENDPOINT=self.config.bind[0],
            HOTPROBE_FAN_IN=self.config.fan_in_endpoints[0],
            HOTPROBE_TQDM="1",
            HOTPROBE_RUN=self.run_id,
            HOTPROBE_RUN_START="1",
        )
        if self.config.curve_secret_key is None:  # keys meant for another collector
            env.pop("HOTPROBE_SERVER_KEY", None)
            env.pop("HOTPROBE_CLIENT_KEY", None)
        if self.show_output:  # Python flushes each line into the pipe, in order
            env.setdefault("PYTHONUNBUFFERED", "1")
        return env

    def _run_command(self) -> int:
        """Start the command (its output through the relay when shown above the view) and
        wait for it; 127 or 126 when it cannot be started."""
        relay = None
        try:
            if self.show_output:
                read_fd, write_fd = os.pipe()
                try:
                    self.command.start(output=write_fd)
                except OSError:
                    os.close(read_fd)
                    raise
                finally:
                    os.close(write_fd)
                relay = OutputRelay(read_fd)
                relay.start()
            else:
                self.command.start()
        except OSError as exc:
            log.error("cannot run %s: %s", self.command.argv[0], exc.strerror or exc)
            return 127 if isinstance(exc, FileNotFoundError) else 126
        status = self.command.wait()
        if relay is not None and not relay.join(OUTPUT_TIMEOUT):
            log.warning("the command's output is still open (a process it started?); not waiting")
        return status

    def _on_signal(self, signum: int, frame: Any) -> None:
        if self.status is None:
            self.command.forward(signum)  # Ctrl-C goes to the command first
        elif not self._delivered:
            raise GiveUp(signum)
        # once everything is delivered, only the last line is left to print

    # -- the collector -------------------------------------------------------------------
    def _collect(self) -> None:
        self._collector_status.append(self.collector.run())

    def _received(self) -> int:
        return self.collector.counters.received

    # -- the end -------------------------------------------------------------------------
    def _report(self, status: int) -> None:
        how = self.command.signal_name or f"status {status}"
        message = f"run {self.run_id}: exited with {how} after {self.command.duration:.1f} s"
        if self.record:
            message += f"; recorded to {self.record}"
        if self._collector_status and self._collector_status[0] != 0:
            message += " (some events were not delivered: see the stats line)"
        print(f"hotprobe: {message}", file=sys.stderr, flush=True)
        for runner in self.collector.runners:
            waiting = runner.counters.in_spool
            if waiting:
                directory = runner.spill.spool.directory
                print(
                    f"hotprobe: {waiting} events for {runner.name} wait in {directory}"
                    f" (a collector with --spool-dir {self.config.spool_dir} and that --sink "
                    "delivers them)",
                    file=sys.stderr,
                    flush=True,
                )

    def _give_up(self, status: int) -> int:
        """Stop waiting for the sinks: what they delivered stays, the rest is lost."""
        if self.show_output:
            sys.__stdout__.write("\x1b[?25h\n")  # the live view hid the cursor
            sys.__stdout__.flush()
        kept = f"; {self.record} keeps what was written" if self.record else ""
        sys.__stderr__.write(
            f"hotprobe: run {self.run_id}: interrupted again: not waiting for the sinks to "
            f"deliver the rest{kept}\n"
        )
        sys.__stderr__.flush()
        os._exit(status)
