"""The hotprobe command: collect, run, demo, runs, show, plot, sinks and keys."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Any, NoReturn

from collector import configfile, options, plot
from collector import registry as registry_module
from collector.config import SETTINGS, Setting
from collector.history import commands as history
from collector.logformat import InertFormatter
from collector.pipeline.delivery import DELIVERY_OPTIONS
from collector.redact import redacted_text
from collector.shadowing import ShadowedPackage
from collector.sinks import SinkType
from collector.sinkspec import scheme_of
from collector.text import inert


class _Parser(argparse.ArgumentParser):
    """Usage errors are one line: what is wrong, and where to read what is allowed."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


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
    """One flag per declared setting (``collector.config``); each is also a key of the
    ``--config`` file, and the command line wins."""
    collect.add_argument(
        "--config",
        metavar="FILE.toml",
        help="read options from a TOML file (same names as below; the command line wins)",
    )
    for setting in SETTINGS:
        how: dict[str, Any]
        if setting.convert is options.flag:
            how = {"action": argparse.BooleanOptionalAction}
        elif setting.repeatable:  # each value a string; the list is converted as a whole
            how = {"action": "append", "metavar": setting.metavar}
        else:
            how = {"type": _option_type(setting), "metavar": setting.metavar}
        collect.add_argument(
            f"--{setting.name}", dest=setting.attribute, default=None, help=setting.described, **how
        )


def _option_type(setting: Setting) -> Callable[[str], Any]:
    def parse(value: str) -> Any:
        try:
            return setting.convert(value)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    parse.__name__ = setting.name  # argparse names the type in some messages
    return parse


def _cli_values(args: argparse.Namespace) -> dict[str, Any]:
    """The options given on the command line, by option name (already converted)."""
    values = {}
    for setting in SETTINGS:
        value = getattr(args, setting.attribute)
        if value is not None:
            values[setting.name] = value
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
    from collector.pipeline.collect import Collector, NoSinks
    from collector.pipeline.receive import BindError
    from probe.protocol import KeyFileError

    try:
        file_values = configfile.read_file(args.config) if args.config else {}
        config = configfile.build(file_values, _cli_values(args), default_sink())
    except configfile.ConfigError as exc:
        return _usage_error(str(exc))
    if {"stdout", "live"} <= {scheme_of(text) for text in config.sinks}:
        return _usage_error(
            "--sink stdout and --sink live both write to standard output; "
            "send the JSON lines to a file instead (--sink file:PATH)"
        )
    _setup_logging(config.quiet)
    logging.getLogger("collector.stats").setLevel(logging.INFO)  # shown even when quiet
    try:
        collector = Collector.from_config(config, registry_module.load())
    except (KeyFileError, registry_module.UnknownSink, ValueError, BindError) as exc:
        return _usage_error(str(exc))
    except NoSinks as exc:
        logging.getLogger("collector").error("%s", exc)
        return 1
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
    """List every registered scheme (with the delivery defaults of its own that differ from
    every sink's), then the delivery options every sink takes; exit status 1 if a plugin
    failed to load."""
    _setup_logging(quiet=True)
    registry = registry_module.load()
    types = sorted(registry.sink_types.values(), key=lambda t: t.scheme)
    if as_json:
        rows = [
            {
                "scheme": t.scheme,
                "usage": t.usage,
                "description": t.description,
                "plugin": t.plugin,
                "distribution": t.distribution,
                "options": [_option_row(option) for option in t.options.values()],
                "delivery_defaults": [_option_row(option) for option in _own_delivery(t)],
            }
            for t in types
        ]
        delivery = [_option_row(option) for option in DELIVERY_OPTIONS.values()]
        listing = {"sinks": rows, "delivery_options": delivery, "failures": registry.failures}
        print(json.dumps(listing, indent=2))
    else:
        width = max((len(t.scheme) for t in types), default=0) + 2
        for t in types:
            print(f"{t.scheme:<{width}}{t.description}")
            print(f"{'':<{width}}{t.usage}, from {t.plugin} ({t.distribution})")
            _print_options([*t.options.values(), *_own_delivery(t, " for this sink")], width)
        print("\nevery sink also takes:")
        _print_options(DELIVERY_OPTIONS.values(), width)
    return 1 if registry.failures else 0


def _own_delivery(sink_type: SinkType, note: str = "") -> list[options.Option]:
    """The delivery options whose default ``sink_type`` sets to a value of its own, their
    defaults shown followed by ``note``."""
    own = []
    for name, value in sink_type.delivery.items():
        option = DELIVERY_OPTIONS[name]
        if value != option.default:
            shown = options.size_text(value) if option.convert is options.size else None
            shown = shown or options.show(value)
            own.append(replace(option, default=value, default_text=f"{shown}{note}"))
    return own


def _option_row(option: options.Option) -> dict[str, Any]:
    return {"name": option.name, "help": option.help, "default": option.shown_default}


def _print_options(declared: Iterable[options.Option], indent: int) -> None:
    declared = list(declared)
    column = max((len(option.name) for option in declared), default=0) + 4
    for option in declared:
        print(f"{'':<{indent}}{'?' + option.name + '=':<{column}}{option.described}")


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return _run(args)
    except ShadowedPackage as exc:
        print(f"hotprobe: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # ``hotprobe runs ... | head``: the reader has what it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no error at exit
        return 1


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
