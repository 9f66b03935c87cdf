"""``hotprobe plot SOURCE -o FILE``: a recorded run drawn to PNG or SVG."""

from __future__ import annotations

import argparse
import os
import sys

from collector.redact import redacted_text
from collector.text import inert

FORMATS = (".png", ".svg")


def _pixels(text: str) -> int:
    value = int(text)
    if not 100 <= value <= 10_000:
        raise argparse.ArgumentTypeError(f"must be between 100 and 10000 pixels, not {text}")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``plot`` subcommand's options."""
    parser.add_argument(
        "source",
        nargs="+",
        help="a JSON-lines file written by the file: sink (several: rotated files of one run), "
        "or a mongodb:// URI",
    )
    parser.add_argument(
        "-o", "--output", required=True, metavar="FILE", help="where to draw: FILE.png or FILE.svg"
    )
    parser.add_argument(
        "--probe",
        action="append",
        metavar="NAME",
        help="only streams whose probe name matches (a glob such as 'fit*'; repeatable)",
    )
    parser.add_argument(
        "--run", metavar="ID", help="the run to draw (default: the newest; 'all': every run)"
    )
    parser.add_argument(
        "--collection",
        metavar="NAME",
        help="MongoDB collection (default: the URI's collection option, else events)",
    )
    parser.add_argument("--width", type=_pixels, default=1200, help="pixels (default 1200)")
    parser.add_argument("--height", type=_pixels, default=800, help="pixels (default 800)")


def run(args: argparse.Namespace) -> int:
    """Read, select and draw; returns the exit status (1 when nothing could be drawn)."""
    from collector.plot.draw import PlotUnavailable, draw, require_matplotlib
    from collector.plot.source import SourceError, read_events, select

    if os.path.splitext(args.output)[1].lower() not in FORMATS:
        return _fail(f"-o {args.output}: the file name must end in .png or .svg", status=2)
    try:
        require_matplotlib()
        events, unreadable = [], 0
        for source in args.source:
            more, more_unreadable = read_events(source, args.collection)
            events += more
            unreadable += more_unreadable
    except (PlotUnavailable, SourceError) as exc:
        return _fail(str(exc))
    chosen = select(events, args.probe, args.run)
    skipped = unreadable + chosen.skipped
    if not chosen.series:
        runs = ", ".join(chosen.runs) or "none"
        sources = " ".join(args.source)
        return _fail(f"nothing to draw in {sources} for run {chosen.run} (runs: {runs})")
    first = min(s.times[0] for s in chosen.series)
    title = f"run {chosen.run}, from {first:%Y-%m-%d %H:%M:%S} UTC"
    draw(chosen.series, args.output, args.width, args.height, title)
    print(
        f"hotprobe plot: wrote {args.output}: {len(chosen.series)} streams of run "
        f"{inert(chosen.run)}"
        f" ({len(chosen.runs)} runs in source, {skipped} records not drawn)",
        file=sys.stderr,
    )
    return 0


def _fail(message: str, status: int = 1) -> int:
    print(f"hotprobe plot: error: {inert(redacted_text(message))}", file=sys.stderr)
    return status
