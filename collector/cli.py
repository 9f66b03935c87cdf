"""The ``hotprobe`` command: ``collect``, ``demo``, ``plot`` and ``sinks``."""

from __future__ import annotations

import argparse
import json
import logging
import sys

from collector import plot
from collector import registry as registry_module
from collector.config import DEFAULT_BIND, CollectorConfig


def _positive_float(text: str) -> float:
    value = float(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, not {text}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hotprobe", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    collect = commands.add_parser("collect", help="run the collector")
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
        type=_positive_float,
        default=0.1,
        metavar="SECONDS",
        help="keep at most one event per stream per interval (default 0.1; 0 keeps all)",
    )
    collect.add_argument(
        "--trailing",
        action="store_true",
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
        default="hotprobe-dead-letter.jsonl",
        metavar="PATH",
        help="where rejected messages are written (created on the first one)",
    )
    collect.add_argument(
        "--stats-interval",
        type=_positive_float,
        default=0.0,
        metavar="SECONDS",
        help="print a stats line on stderr this often (0: only at exit)",
    )
    collect.add_argument(
        "--sink-stall-after",
        type=_positive_float,
        default=30.0,
        metavar="SECONDS",
        help="report a sink call that has not returned after this long (default 30; 0: never)",
    )
    collect.add_argument("--quiet", action="store_true", help="log warnings and errors only")

    demo = commands.add_parser("demo", help="run a short instrumented simulation, shown live")
    demo.add_argument(
        "--record", metavar="PATH", help="also append the kept events to PATH, for hotprobe plot"
    )
    plot.add_arguments(commands.add_parser("plot", help="draw a recorded run to PNG or SVG"))
    sinks = commands.add_parser(
        "sinks", help="list the sink schemes, the plugins they come from and their options"
    )
    sinks.add_argument("--json", action="store_true", help="as JSON")
    return parser


def _config(args: argparse.Namespace) -> CollectorConfig:
    return CollectorConfig(
        bind=args.bind or [DEFAULT_BIND],
        fan_in=args.fan_in,
        interval=args.interval,
        trailing=args.trailing,
        sinks=args.sink or [default_sink()],
        dead_letter=args.dead_letter,
        stats_interval=args.stats_interval,
        sink_stall_after=args.sink_stall_after,
    )


def default_sink() -> str:
    """``live`` when standard output is a terminal, else ``stdout`` (JSON lines)."""
    return "live" if sys.stdout.isatty() else "stdout"


def _setup_logging(quiet: bool = False) -> None:
    logging.basicConfig(
        level=logging.WARNING if quiet else logging.INFO,
        format="hotprobe: %(message)s",
        stream=sys.stderr,
    )


def _usage_error(message: str) -> int:
    print(f"hotprobe collect: error: {message}", file=sys.stderr)
    return 2


def run_collect(args: argparse.Namespace) -> int:
    from collector.service import Collector, build_runners

    _setup_logging(args.quiet)
    config = _config(args)
    registry = registry_module.load()
    try:
        runners = build_runners(registry, config.sinks, config.sink_stall_after)
    except (registry_module.UnknownSink, ValueError) as exc:
        return _usage_error(str(exc))
    if not runners:
        logging.getLogger("collector").error("no sink could be created; not starting")
        return 1
    try:
        collector = Collector(config, registry, runners)
    except Exception as exc:  # zmq.ZMQError: address in use, bad endpoint
        return _usage_error(f"cannot bind {config.bind}: {exc}")
    return collector.run()


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
    if args.command == "collect":
        return run_collect(args)
    if args.command == "demo":
        from collector.demo import run_demo

        _setup_logging(quiet=True)
        return run_demo([default_sink(), *([f"file:{args.record}"] if args.record else [])])
    if args.command == "plot":
        return plot.run(args)
    return run_sinks(args.json)
