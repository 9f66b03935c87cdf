"""``hotprobe plot SOURCE [-o FILE]``: a recorded run drawn to PNG or SVG (default
``RUN.png``), with the user's own data fields and the run's marks."""

from __future__ import annotations

import argparse
import os
import re
import sys
from datetime import datetime, timezone

from collector.history.commands import add_source_arguments, since
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
    add_source_arguments(parser, stalled=False)
    parser.add_argument(
        "-o", "--output", metavar="FILE", help="FILE.png or FILE.svg (default: RUN.png, here)"
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
        "--field",
        action="append",
        default=[],
        metavar="NAME",
        help="also draw this data field against time, for the streams that carry it (repeatable)",
    )
    parser.add_argument("--since", type=since, metavar="TIME", help="from (2h ago: 2h; a date)")
    parser.add_argument("--until", type=since, metavar="TIME", help="until (an age or a date)")
    parser.add_argument("--width", type=_pixels, default=1200, help="pixels (default 1200)")
    parser.add_argument("--height", type=_pixels, default=800, help="pixels (default 800)")


def run(args: argparse.Namespace) -> int:
    """Read, select and draw; returns the exit status (1 when nothing could be drawn)."""
    from collector.history.read import SourceError, Unreadable, read_events
    from collector.plot.draw import PlotUnavailable, draw, require_matplotlib
    from collector.plot.source import select

    if args.output and os.path.splitext(args.output)[1].lower() not in FORMATS:
        return _fail(f"-o {args.output}: the file name must end in .png or .svg", status=2)
    unreadable = Unreadable()
    try:
        require_matplotlib()
        batches = read_events(args.source, unreadable, args.collection)
        events = [event for batch in batches for event in batch]
    except (PlotUnavailable, SourceError) as exc:
        return _fail(str(exc))
    span = [
        None if t is None else datetime.fromtimestamp(t, timezone.utc)
        for t in (args.since, args.until)
    ]
    chosen = select(events, args.probe, args.run, args.field, *span)
    skipped = unreadable.total + chosen.skipped
    if not chosen.series:
        runs = ", ".join(chosen.runs) or "none"
        sources = " ".join(args.source)
        return _fail(f"nothing to draw in {sources} for run {chosen.run} (runs: {runs})")
    output = args.output or default_output(chosen.run)
    first = min(s.times[0] for s in chosen.series)
    title = f"run {chosen.run}, from {first:%Y-%m-%d %H:%M:%S} UTC"
    draw(chosen.series, output, args.width, args.height, title, args.field, chosen.marks)
    missing = [name for name in args.field if not any(name in s.fields for s in chosen.series)]
    if missing:
        print(f"hotprobe plot: no stream carries {inert(', '.join(missing))}", file=sys.stderr)
    print(
        inert(
            f"hotprobe plot: wrote {output}: {len(chosen.series)} streams of run {chosen.run}"
            f" ({len(chosen.runs)} runs in source, {len(chosen.marks)} marks,"
            f" {skipped} records not drawn)"
        ),
        file=sys.stderr,
    )
    print(output)
    return 0


def default_output(run: str) -> str:
    """``RUN.png`` in the working directory, the run id made a safe file name."""
    return (re.sub(r"[^A-Za-z0-9_.-]+", "_", run).strip("._") or "run") + ".png"


def _fail(message: str, status: int = 1) -> int:
    print(f"hotprobe plot: error: {inert(redacted_text(message))}", file=sys.stderr)
    return status
