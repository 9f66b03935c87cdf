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
import sys
import tempfile
from typing import Any

from collector import configfile
from probe.protocol import new_run_id

#: Where runs are recorded by default, one JSON-lines file per run id.
RECORD_DIRECTORY = "hotprobe-runs"
NO_RECORD = "none"
BIND_ATTEMPTS = 5


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


#: Collect options whose meaning differs under ``hotprobe run``, by flag.
RUN_HELP = {
    "--bind": "PAIR endpoint to bind (repeatable; default: a free loopback port)",
    "--sink": "where kept events go besides the record: live, stderr, file:PATH, ... "
    "(repeatable; default: live on a terminal, else stderr)",
    "--spool-dir": "where each sink spools what it could not deliver (default: a directory "
    "of the run's own in the temporary directory)",
    "--quiet": "(the default under hotprobe run: warnings, errors and stats only)",
}


def explain_defaults(parser: argparse.ArgumentParser) -> None:
    """Say, in ``--help``, what the collect options added to ``parser`` default to here."""
    for action in parser._actions:
        for flag in action.option_strings:
            if flag in RUN_HELP:
                action.help = RUN_HELP[flag]


def run_command(args: argparse.Namespace, cli_values: dict[str, Any]) -> int:
    """Run ``args.argv`` under a collector; returns the command's exit status (2 for a
    usage error, 127 for a command that cannot be started)."""
    from collector import registry as registry_module
    from collector.pipeline.collect import Collector, NoSinks
    from collector.pipeline.endpoints import free_tcp_endpoint
    from collector.pipeline.receive import BindError
    from collector.run.session import RunSession
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
    collector = None
    for attempt in range(BIND_ATTEMPTS):
        if "bind" not in given:
            config.bind = [free_tcp_endpoint()]
        try:
            collector = Collector.from_config(config, registry)
            break
        except BindError as exc:  # a free port taken meanwhile: another one
            if "bind" in given or attempt == BIND_ATTEMPTS - 1:
                return _usage_error(str(exc))
        except (KeyFileError, registry_module.UnknownSink, ValueError, NoSinks) as exc:
            return _usage_error(str(exc))
    assert collector is not None
    return RunSession(collector, config, argv, run_id, record, terminal).go()


def _usage_error(message: str) -> int:
    print(f"hotprobe run: error: {message}", file=sys.stderr)
    return 2
