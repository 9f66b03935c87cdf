"""The ``hotprobe`` command: ``collect``, ``run``, ``demo``, ``runs``, ``show``, ``plot``,
``sinks`` and ``keys``."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Callable
from typing import Any, NoReturn

from collector import configfile, plot
from collector import registry as registry_module
from collector.config import DEFAULT_BIND, DEFAULT_DEAD_LETTER
from collector.history import commands as history
from collector.logformat import InertFormatter
from collector.pipeline.delivery import DeliveryOptions
from collector.redact import redacted_text
from collector.shadowing import ShadowedPackage
from collector.sinks import SinkSpec
from collector.text import inert


class _Parser(argparse.ArgumentParser):
    """Usage errors are one line: what is wrong, and where to read what is allowed."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _option_type(option: str) -> Callable[[str], Any]:
    convert = configfile.OPTIONS[option][1]

    def parse(text: str) -> Any:
        try:
            return convert(text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    parse.__name__ = option  # argparse names the type in some messages
    return parse


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="hotprobe", description=__doc__)
    commands = parser.add_subparsers(
        dest="command", required=True, metavar="COMMAND", parser_class=_Parser
    )

    collect = commands.add_parser("collect", help="run the collector")
    _add_collect_options(collect)

    from collector import run as run_module

    run = commands.add_parser(
        "run",
        help="run a command under a collector of its own: live view, recorded run, its exit status",
        usage="hotprobe run [--sink SPEC]... [--record FILE] [collect options] -- CMD [ARGS...]",
    )
    run_module.add_arguments(run)
    _add_collect_options(run)
    run_module.explain_defaults(run)

    demo = commands.add_parser("demo", help="run a short instrumented simulation, shown live")
    demo.add_argument(
        "--record", metavar="PATH", help="also append the kept events to PATH, for hotprobe plot"
    )
    demo.add_argument(
        "--web",
        nargs="?",
        const="web",
        metavar="SPEC",
        help="also serve the web view (default spec: web, http://127.0.0.1:8765/); it stays "
        "up after the simulation until Ctrl-C",
    )
    history.add_runs_arguments(commands.add_parser("runs", help="list recorded runs, newest first"))
    history.add_show_arguments(commands.add_parser("show", help="a recorded run's streams"))
    plot.add_arguments(commands.add_parser("plot", help="draw a recorded run to PNG or SVG"))
    sinks = commands.add_parser(
        "sinks", help="list the sink schemes, the plugins they come from and their options"
    )
    sinks.add_argument("--json", action="store_true", help="as JSON")
    keys = commands.add_parser("keys", help="CURVE key pairs for collectors and probes")
    key_commands = keys.add_subparsers(
        dest="keys_command", required=True, metavar="ACTION", parser_class=_Parser
    )
    generate = key_commands.add_parser(
        "generate", help="write NAME.key (public) and NAME.key_secret (owner-only)"
    )
    generate.add_argument("name", metavar="NAME", help="a name for the key pair, e.g. collector")
    generate.add_argument(
        "--dir", default=".", metavar="DIR", help="where to write them (default: here)"
    )
    return parser


def _add_collect_options(collect: argparse.ArgumentParser) -> None:
    """Every option is also a key of the ``--config`` file; the command line wins."""
    collect.add_argument(
        "--config",
        metavar="FILE.toml",
        help="read options from a TOML file (same names as below; the command line wins)",
    )
    collect.add_argument(
        "--bind",
        action="append",
        metavar="ENDPOINT",
        help=f"PAIR endpoint to bind (repeatable; default {DEFAULT_BIND})",
    )
    collect.add_argument(
        "--fan-in",
        action="append",
        metavar="ENDPOINT",
        help="PULL endpoint for many processes (repeatable; default: each --bind's next port)",
    )
    collect.add_argument(
        "--interval",
        type=_option_type("interval"),
        metavar="SECONDS",
        help="keep at most one event per stream per interval of event time "
        "(default 0.1; 0 keeps all)",
    )
    collect.add_argument(
        "--key",
        type=_option_type("key"),
        metavar="FIELD,...",
        help="the fields that name a stream (default host,pid,probe)",
    )
    collect.add_argument(
        "--trailing",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="also emit a stream's newest suppressed event when its interval closes",
    )
    collect.add_argument(
        "--sink",
        action="append",
        metavar="SPEC",
        help="where kept events go: live, stdout, file:PATH, ... (repeatable; "
        "default: live on a terminal, else stdout)",
    )
    collect.add_argument(
        "--dead-letter",
        type=_option_type("dead-letter"),
        metavar="PATH",
        help=f"where rejected messages are written, created on the first one "
        f"(default ./{DEFAULT_DEAD_LETTER})",
    )
    collect.add_argument(
        "--dead-letter-max-bytes",
        type=_option_type("dead-letter-max-bytes"),
        metavar="BYTES",
        help="rotate the dead-letter file before it would pass this size (default 64MiB)",
    )
    collect.add_argument(
        "--dead-letter-backups",
        type=_option_type("dead-letter-backups"),
        metavar="N",
        help="rotated dead-letter files kept as PATH.1 ... PATH.N; older records are "
        "removed and counted (default 1)",
    )
    collect.add_argument(
        "--max-message-size",
        type=_option_type("max-message-size"),
        metavar="BYTES",
        help="larger messages are rejected and counted as oversized; over twice this, "
        "ZeroMQ drops them and disconnects the sender (default 1MiB)",
    )
    collect.add_argument(
        "--stats-interval",
        type=_option_type("stats-interval"),
        metavar="SECONDS",
        help="print a stats line on stderr this often (default 0: only at exit)",
    )
    collect.add_argument(
        "--sink-stall-after",
        type=_option_type("sink-stall-after"),
        metavar="SECONDS",
        help="report a sink call that has not returned after this long (default 30; 0: never)",
    )
    collect.add_argument(
        "--shutdown-timeout",
        type=_option_type("shutdown-timeout"),
        metavar="SECONDS",
        help="on SIGINT/SIGTERM, time for every sink to deliver, or spool, what it holds "
        "(default 10)",
    )
    collect.add_argument(
        "--batch-size",
        type=_option_type("batch-size"),
        metavar="N",
        help=f"events per sink write (default {DeliveryOptions.batch_size}; "
        "per sink: ?batch_size=)",
    )
    collect.add_argument(
        "--max-delay",
        type=_option_type("max-delay"),
        metavar="SECONDS",
        help="longest an event waits for its batch to fill "
        f"(default {DeliveryOptions.max_delay}; per sink: ?max_delay=)",
    )
    collect.add_argument(
        "--spool-dir",
        type=_option_type("spool-dir"),
        metavar="DIR",
        help="where each sink spools events while it is down or behind, one directory per "
        f"sink, replayed by the next run (default ./{DeliveryOptions.spool_dir})",
    )
    collect.add_argument(
        "--spool-max-bytes",
        type=_option_type("spool-max-bytes"),
        metavar="BYTES",
        help="bound on each sink's spool; the oldest spooled events go first (default 1GiB; "
        "per sink: ?spool_max_bytes=)",
    )
    collect.add_argument(
        "--curve-secret-key",
        type=_option_type("curve-secret-key"),
        metavar="FILE",
        help="encrypt, and admit only clients whose keys are in --curve-clients: this "
        "collector's NAME.key_secret from hotprobe keys generate",
    )
    collect.add_argument(
        "--curve-clients",
        type=_option_type("curve-clients"),
        metavar="DIR",
        help="directory of the allowed clients' public NAME.key files (re-read when it changes)",
    )
    collect.add_argument(
        "--quiet", action="store_true", default=None, help="log warnings, errors and stats only"
    )


def _cli_values(args: argparse.Namespace) -> dict[str, Any]:
    """The options given on the command line, by option name (already converted)."""
    values = {}
    for option in configfile.OPTIONS:
        value = getattr(args, option.replace("-", "_"))
        if value is not None:
            values[option] = value
    return values


def default_sink() -> str:
    """``live`` when standard output is a terminal, else ``stdout`` (JSON lines)."""
    return "live" if sys.stdout.isatty() else "stdout"


def _setup_logging(quiet: bool = False) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(InertFormatter("hotprobe: %(message)s"))
    logging.basicConfig(level=logging.WARNING if quiet else logging.INFO, handlers=[handler])


def _usage_error(message: str) -> int:
    print(f"hotprobe collect: error: {inert(redacted_text(message))}", file=sys.stderr)
    return 2


def run_collect(args: argparse.Namespace) -> int:
    from collector.curve.server import curve_server
    from collector.pipeline.collect import Collector, build_runners
    from collector.pipeline.receive import BindError
    from probe.protocol import KeyFileError

    try:
        file_values = configfile.read_file(args.config) if args.config else {}
        config = configfile.build(file_values, _cli_values(args), default_sink())
    except configfile.ConfigError as exc:
        return _usage_error(str(exc))
    schemes = {SinkSpec.parse(text).scheme for text in config.sinks}
    if {"stdout", "live"} <= schemes:
        return _usage_error(
            "--sink stdout and --sink live both write to standard output; "
            "send the JSON lines to a file instead (--sink file:PATH)"
        )
    _setup_logging(config.quiet)
    logging.getLogger("collector.stats").setLevel(logging.INFO)  # shown even when quiet
    try:
        curve = curve_server(config.curve_secret_key, config.curve_clients)
    except KeyFileError as exc:
        return _usage_error(str(exc))
    registry = registry_module.load()
    try:
        runners = build_runners(registry, config.sinks, config.sink_stall_after, config.delivery)
    except (registry_module.UnknownSink, ValueError) as exc:
        return _usage_error(str(exc))
    if not runners:
        logging.getLogger("collector").error("no sink could be created; not starting")
        return 1
    try:
        collector = Collector(config, registry, runners, curve)
    except BindError as exc:
        return _usage_error(str(exc))
    return collector.run()


def run_keys(args: argparse.Namespace) -> int:
    """``hotprobe keys generate NAME``: exit status 2 if the key pair exists already."""
    from collector.curve.keygen import generate, loose_permissions

    try:
        public, secret = generate(args.dir, args.name)
    except (OSError, ValueError) as exc:  # FileExistsError among them
        print(f"hotprobe keys: error: {exc}", file=sys.stderr)
        return 2
    print(f"public key (copy it where it is needed): {public}")
    print(f"secret key (owner-only; keep it here):  {secret}")
    if loose_permissions(secret.parent):
        print(
            f"hotprobe keys: note: others can list {secret.parent}; the secret key file itself "
            "is owner-only",
            file=sys.stderr,
        )
    return 0


def run_sinks(as_json: bool = False) -> int:
    """List every registered scheme; exit status 1 if a plugin failed to load."""
    _setup_logging(quiet=True)
    registry = registry_module.load()
    types = sorted(registry.sink_types.values(), key=lambda t: t.scheme)
    if as_json:
        rows = [
            {
                "scheme": t.scheme,
                "description": t.description,
                "plugin": t.plugin,
                "distribution": t.distribution,
                "options": t.options,
            }
            for t in types
        ]
        print(json.dumps({"sinks": rows, "failures": registry.failures}, indent=2))
    else:
        width = max((len(t.scheme) for t in types), default=0) + 2
        for t in types:
            print(f"{t.scheme:<{width}}{t.description}")
            print(f"{'':<{width}}from {t.plugin} ({t.distribution})")
            names = {option: f"?{option}=" for option in t.options}
            column = max(map(len, names.values()), default=0) + 2
            for option, help_text in t.options.items():
                print(f"{'':<{width}}{names[option]:<{column}}{help_text}")
    return 1 if registry.failures else 0


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return _run(args)
    except ShadowedPackage as exc:
        print(f"hotprobe: error: {exc}", file=sys.stderr)
        return 2


def _run(args: argparse.Namespace) -> int:
    if args.command == "collect":
        return run_collect(args)
    if args.command == "run":
        from collector.run import run_command

        return run_command(args, _cli_values(args))
    if args.command == "demo":
        from collector.demo import run_demo

        _setup_logging(quiet=True)
        sinks = [default_sink(), *([f"file:{args.record}"] if args.record else [])]
        if args.web:
            return run_demo([*sinks, args.web], stay=True)
        return run_demo(sinks)
    if args.command == "plot":
        return plot.run(args)
    if args.command == "runs":
        return history.runs(args)
    if args.command == "show":
        return history.show(args)
    if args.command == "keys":
        return run_keys(args)
    return run_sinks(args.json)
