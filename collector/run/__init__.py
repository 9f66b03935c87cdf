"""``hotprobe run [options] -- CMD [ARGS...]``: a collector around one command.

The collector runs in this process (no second interpreter to start, and its sockets are bound
before the command starts, so nothing the command sends is missed); the command runs as a
child in its own process group with the probe pointed at the collector
(``HOTPROBE_ENDPOINT``, ``HOTPROBE_FAN_IN``), its run id (``HOTPROBE_RUN``, described by the
command's own ``run`` event) and ``HOTPROBE_TQDM=1``. When the command ends, ``hotprobe
run`` sends the run's end, lets the collector deliver everything, and exits with the
command's exit status.
"""

from __future__ import annotations

import argparse
import logging
import os
import socket
import sys
import tempfile
import threading
import time
from typing import Any

from collector import configfile
from collector.run.child import FORWARDED, Command
from collector.run.output import OutputRelay
from probe._runinfo import new_run_id
from probe._wire import encode, utc_timestamp
from probe.protocol import PROTOCOL_VERSION, RUN_STREAM

log = logging.getLogger("collector.run")

#: Where runs are recorded by default, one JSON-lines file per run id.
RECORD_DIRECTORY = "hotprobe-runs"
NO_RECORD = "none"
#: Bounds on the waits after the command ends (seconds).
OUTPUT_TIMEOUT = 5.0  # for the last of its output (a process it left behind may hold the pipe)
ARRIVAL_TIMEOUT = 5.0  # for the run's end event to reach the collector
SETTLE = 0.05  # quiet time after it, for whatever was still in flight
BIND_ATTEMPTS = 5


class GiveUp(Exception):
    """A second Ctrl-C (or a SIGTERM) while the collector delivers: stop waiting."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``run``'s own arguments (the collect options are added beside them)."""
    parser.add_argument(
        "--record",
        metavar="FILE",
        help=f"record the run's kept events to FILE for hotprobe plot (default "
        f"{RECORD_DIRECTORY}/RUN-ID.jsonl; '{NO_RECORD}': do not record)",
    )
    parser.add_argument(
        "argv",
        nargs=argparse.REMAINDER,
        metavar="-- CMD [ARGS...]",
        help="the command to run and watch",
    )


def run_command(args: argparse.Namespace, cli_values: dict[str, Any]) -> int:
    """Run ``args.argv`` under a collector; returns the command's exit status (2 for a
    usage error, 127 for a command that cannot be started)."""
    from collector import registry as registry_module
    from collector.pipeline.collect import Collector, build_runners
    from collector.pipeline.endpoints import free_tcp_endpoint
    from collector.pipeline.receive import BindError
    from probe.protocol import KeyFileError

    argv = list(args.argv)
    if argv[:1] == ["--"]:
        argv = argv[1:]
    if not argv:
        return _usage_error("no command given: hotprobe run [options] -- CMD [ARGS...]")
    terminal = sys.stdout.isatty()
    try:
        file_values = configfile.read_file(args.config) if args.config else {}
        config = configfile.build(file_values, cli_values, "live" if terminal else "stderr")
    except configfile.ConfigError as exc:
        return _usage_error(str(exc))
    given = {**file_values, **cli_values}
    run_id = new_run_id(argv)
    record = None if args.record == NO_RECORD else args.record
    if args.record is None:
        record = os.path.join(RECORD_DIRECTORY, f"{run_id}.jsonl")
    if record:
        config.sinks.append(f"file:{record}")
    if "spool-dir" not in given:  # its own: runs side by side in one directory never clash
        config.spool_dir = os.path.join(
            tempfile.gettempdir(), f"hotprobe-run-{os.getuid()}", run_id
        )
    logging.basicConfig(  # warnings and errors only: the view shows the rest
        level=logging.WARNING, format="hotprobe: %(message)s", stream=sys.stderr
    )
    logging.getLogger("collector.stats").setLevel(logging.INFO)
    registry = registry_module.load()
    try:
        runners = build_runners(registry, config.sinks, config.sink_stall_after, config.delivery)
    except (registry_module.UnknownSink, ValueError) as exc:
        return _usage_error(str(exc))
    collector = None
    for attempt in range(BIND_ATTEMPTS):
        if "bind" not in given:
            config.bind = [free_tcp_endpoint()]
        try:
            collector = Collector(config, registry, runners)
            break
        except KeyFileError as exc:
            return _usage_error(str(exc))
        except BindError as exc:  # a free port taken meanwhile: another one
            if "bind" in given or attempt == BIND_ATTEMPTS - 1:
                return _usage_error(str(exc))
    assert collector is not None
    return _Run(collector, config, argv, run_id, record, terminal).go()


class _Run:
    """One ``hotprobe run``: the collector in a thread, the command in the main thread."""

    def __init__(self, collector, config, argv, run_id, record, terminal) -> None:
        self.collector = collector
        self.config = config
        self.run_id = run_id
        self.record = record
        self.show_output = terminal and any(
            sink.partition("?")[0] == "live" for sink in config.sinks
        )
        self.command = Command(argv, self._environment())
        self.status: int | None = None
        self._delivered = False
        self._collector_status: list[int] = []
        self._thread = threading.Thread(target=self._collect, name="hotprobe-collector")

    def go(self) -> int:
        proxied_stdout = sys.stdout
        self._thread.start()
        if self.show_output:  # the live view is up (stdout is its proxy) before any output
            _wait_until(lambda: sys.stdout is not proxied_stdout, timeout=5.0)
        for signum in FORWARDED:
            _install(signum, self._on_signal)
        status = self._run_command()
        self.status = status
        try:
            self._send_run_end(status)
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
        relay = None
        try:
            if self.show_output:
                read_fd, write_fd = os.pipe()
                try:
                    self.command.start(output=write_fd)
                finally:
                    os.close(write_fd)
                relay = OutputRelay(read_fd)
                relay.start()
            else:
                self.command.start()
        except OSError as exc:
            log.error("cannot run %s: %s", self.command.argv[0], exc.strerror or exc)
            if relay is None and self.show_output:
                os.close(read_fd)
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

    # -- the end -------------------------------------------------------------------------
    def _collect(self) -> None:
        self._collector_status.append(self.collector.run())

    def _send_run_end(self, status: int) -> None:
        """The run's ``run`` event with ``phase: end``, through the fan-in like any process's,
        then a wait until the collector has it (and what was still in flight)."""
        import zmq

        counters = self.collector.counters
        before = counters.received
        context = zmq.Context()
        try:
            sock = context.socket(zmq.PUSH)
            sock.connect(self.config.fan_in_endpoints[0])
            sock.send(encode(self._run_end_event(status)))
        finally:
            context.destroy(linger=int(ARRIVAL_TIMEOUT * 1000))
        if _wait_until(lambda: counters.received > before, ARRIVAL_TIMEOUT):
            seen = -1
            while seen != counters.received:
                seen = counters.received
                time.sleep(SETTLE)

    def _run_end_event(self, status: int) -> dict[str, Any]:
        try:
            cwd: str | None = os.getcwd()
        except OSError:
            cwd = None
        duration = round(self.command.duration, 6)
        return {
            "v": PROTOCOL_VERSION,
            "timestamp": utc_timestamp(),
            "probe": RUN_STREAM,
            "event": "run",
            "n": 0,
            "total": None,
            "unit": None,
            "elapsed": duration,
            "rate": None,
            "host": socket.gethostname(),
            "pid": os.getpid(),
            "run": self.run_id,
            "seq": 0,
            "dropped": 0,
            "info": {
                "phase": "end",
                "argv": self.command.argv,
                "cwd": cwd,
                "status": status,
                "signal": self.command.signal_name,
                "duration": duration,
            },
        }

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
                print(
                    f"hotprobe: {waiting} events for {runner.name} wait in {runner.spool.directory}"
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


def _install(signum: int, handler: Any) -> None:
    import signal

    signal.signal(signum, handler)


def _wait_until(predicate, timeout: float, interval: float = 0.01) -> bool:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)
    return True


def _usage_error(message: str) -> int:
    print(f"hotprobe run: error: {message}", file=sys.stderr)
    return 2
