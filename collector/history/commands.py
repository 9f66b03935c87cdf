"""``hotprobe runs SOURCE...`` (one line per run) and ``hotprobe show SOURCE --run ID`` (one line
per stream group of a run), as text or JSON."""

from __future__ import annotations

import argparse
import difflib
import fnmatch
import shlex
import sys
import time
from datetime import datetime, timezone
from typing import Any

import orjson

from collector.format import format_count, format_duration, format_rate
from collector.history.mongo import summarise_runs_in
from collector.history.read import SourceError, Unreadable, is_mongodb, read_events
from collector.history.summary import (
    STATES,
    Counts,
    Group,
    RunSummary,
    event_time,
    summarise_runs,
    summarise_streams,
)
from collector.redact import redacted_text
from collector.text import inert

DEFAULT_STALLED_AFTER = 60.0
DEFAULT_LIMIT = 50
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def since(text: str) -> float:
    """``--since``/``--until``: an age (``90s``, ``30m``, ``2h``, ``2d``, ``1w``) or an ISO
    8601 date or time (naive = UTC), as POSIX seconds."""
    text = text.strip()
    unit = _UNITS.get(text[-1:].lower())
    if unit is not None:
        try:
            return time.time() - float(text[:-1]) * unit
        except ValueError:
            pass
    when = event_time(text)
    if when is None:
        raise argparse.ArgumentTypeError(f"expected an age such as 2d or 30m, or a date: {text!r}")
    return when


def label(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected k=v, not {text!r}")
    return key, value


def add_source_arguments(parser: argparse.ArgumentParser, stalled: bool = True) -> None:
    """The source options ``runs``, ``show`` and ``plot`` share."""
    parser.add_argument(
        "source",
        nargs="+",
        help="JSON-lines files written by the file: sink (rotated files are read as one), "
        "or a mongodb:// URI",
    )
    parser.add_argument(
        "--collection",
        metavar="NAME",
        help="MongoDB collection (default: the URI's collection option, else events)",
    )
    if not stalled:
        return
    parser.add_argument(
        "--stalled-after",
        type=float,
        default=DEFAULT_STALLED_AFTER,
        metavar="SECONDS",
        help="a stream that never ended is stalled once its last event is this old, idle "
        f"if it counts a tracked function's calls (default {DEFAULT_STALLED_AFTER:g})",
    )


def add_runs_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``runs`` subcommand's options."""
    add_source_arguments(parser)
    parser.add_argument("--since", type=since, metavar="AGE", help="runs started since (2d, 3h)")
    parser.add_argument("--host", action="append", metavar="NAME", help="runs on a host (glob)")
    parser.add_argument(
        "--label", action="append", type=label, metavar="K=V", help="runs with this label"
    )
    parser.add_argument(
        "--failed", action="store_true", help="only runs with a failed stream or exit status"
    )
    parser.add_argument("--json", action="store_true", help="one JSON object per run")
    parser.add_argument(
        "--limit",
        type=int,
        default=DEFAULT_LIMIT,
        metavar="N",
        help=f"at most N runs, the newest (default {DEFAULT_LIMIT}; 0: all)",
    )


def add_show_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``show`` subcommand's options."""
    add_source_arguments(parser)
    parser.add_argument("--run", metavar="ID", help="the run to show (default: the newest)")
    parser.add_argument(
        "--members", action="store_true", help="also a line per process of every group"
    )
    parser.add_argument("--json", action="store_true", help="one JSON object per stream group")


def runs(args: argparse.Namespace) -> int:
    """List the runs; returns the exit status."""
    unreadable, counts = Unreadable(), Counts()
    try:
        found = _all_runs(args, unreadable, counts)
    except SourceError as exc:
        return _fail("runs", str(exc))
    now = time.time()
    chosen = [run for run in found if _wanted(run, args)]
    chosen.sort(key=lambda run: run.start, reverse=True)
    shown = chosen[: args.limit] if args.limit > 0 else chosen
    if args.json:
        for run in shown:
            sys.stdout.buffer.write(orjson.dumps(_run_json(run, now, args.stalled_after)) + b"\n")
        sys.stdout.flush()
    else:
        _print_runs(shown, now, args.stalled_after)
    if len(shown) < len(chosen):
        print(
            f"hotprobe runs: {len(chosen) - len(shown)} older runs not shown (--limit)",
            file=sys.stderr,
        )
    _report_unusable("runs", unreadable, counts)
    return 0


def show(args: argparse.Namespace) -> int:
    """Show one run's stream groups; returns the exit status (2 for an unknown run)."""
    unreadable, counts = Unreadable(), Counts()
    try:
        if args.run is None:
            found = _all_runs(args, unreadable, counts)
            if not found:
                return _fail("show", f"no runs in {' '.join(args.source)}")
            run_id = max(found, key=lambda run: run.start).run
        else:
            run_id = args.run
        query = {"run": run_id}
        events = read_events(args.source, unreadable, args.collection, query)
        groups = summarise_streams(events, run_id)
        if not groups:
            known = [run.run for run in _all_runs(args, Unreadable(), Counts())]
            close = difflib.get_close_matches(run_id, known, n=3, cutoff=0.3) or known[-3:]
            hint = f"; closest: {', '.join(close)}" if close else "; no runs in the source"
            return _fail("show", f"no run {run_id!r} in {' '.join(args.source)}{hint}", status=2)
    except SourceError as exc:
        return _fail("show", str(exc))
    now = time.time()
    order = {state: rank for rank, state in enumerate(STATES)}
    groups.sort(key=lambda g: order[g.status(now, args.stalled_after)])
    if args.json:
        for group in groups:
            record = _group_json(group, run_id, now, args.stalled_after)
            sys.stdout.buffer.write(orjson.dumps(record) + b"\n")
        sys.stdout.flush()
    else:
        _print_groups(run_id, groups, now, args)
    _report_unusable("show", unreadable, counts)
    return 0


def _all_runs(args: argparse.Namespace, unreadable: Unreadable, counts: Counts) -> list[RunSummary]:
    """Every run in the sources: files in one streamed pass, MongoDB by indexed queries."""
    files = [source for source in args.source if not is_mongodb(source)]
    found = summarise_runs(read_events(files, unreadable), counts) if files else {}
    for source in args.source:
        if is_mongodb(source):
            for run in summarise_runs_in(source, args.collection):
                found.setdefault(run.run, run)
    return list(found.values())


def _wanted(run: RunSummary, args: argparse.Namespace) -> bool:
    if args.since is not None and run.start < args.since:
        return False
    if args.host and not any(
        fnmatch.fnmatchcase(host, pattern) for host in run.hosts for pattern in args.host
    ):
        return False
    labels = run.labels
    if args.label and any(labels.get(key) != value for key, value in args.label):
        return False
    return not args.failed or run.failed()


def _run_json(run: RunSummary, now: float, stalled_after: float) -> dict[str, Any]:
    return {
        "run": run.run,
        "command": run.command,
        "hosts": run.hosts,
        "start": _iso(run.start),
        "end": _iso(run.end),
        "duration": round(run.duration, 3),
        "streams": run.states(now, stalled_after),
        "events": run.events,
        "status": run.status,
        "signal": (run.end_info or {}).get("signal"),
        "labels": run.labels,
        "cwd": run.info.get("cwd"),
        "git": run.info.get("git"),
    }


def _group_json(group: Group, run_id: str, now: float, stalled_after: float) -> dict[str, Any]:
    return {
        "run": run_id,
        "probe": group.probe,
        "state": group.status(now, stalled_after),
        "members": group.states(now, stalled_after),
        "n": group.n,
        "total": group.total,
        "start": _iso(group.first),
        "end": _iso(group.last),
        "duration": round(group.duration, 3),
        "mean_rate": group.mean_rate,
        "last_rate": group.last_rate,
        "error": group.error or None,
        "data": group.data,
        "processes": [
            {
                "host": m.host,
                "pid": m.pid,
                "state": m.status(now, stalled_after),
                "n": m.n,
                "total": m.total,
                "rate": m.rate,
                "error": m.error or None,
            }
            for m in group.members
        ],
    }


def _print_runs(found: list[RunSummary], now: float, stalled_after: float) -> None:
    header = ["run", "started (UTC)", "duration", "streams", "events", "exit", "host", "command"]
    rows = []
    for run in found:
        status = run.status
        rows.append(
            [
                inert(run.run),
                _local(run.start),
                format_duration(run.duration),
                _tally(run.states(now, stalled_after)) or "-",
                format_count(run.events),
                "-" if status is None else str(status),
                inert(",".join(run.hosts)) or "-",
                inert(shlex.join(run.command)) if run.command else "-",
            ]
        )
    _table(header, rows, right={4, 5})


def _print_groups(run_id: str, groups: list[Group], now: float, args: argparse.Namespace) -> None:
    print(f"run {inert(run_id)}: {len(groups)} streams")
    header = ["probe", "procs", "n/total", "duration", "mean rate", "last rate", "state", "notes"]
    rows = []
    for group in groups:
        state = group.status(now, args.stalled_after)
        members = group.states(now, args.stalled_after)
        procs = str(len(group.members))
        if len(group.members) > 1 and len(members) > 1:
            procs += f" ({_tally(members)})"
        rows.append(_group_row(inert(group.probe), procs, group, state))
        if args.members and len(group.members) > 1:
            for m in group.members:
                single = Group(group.probe, [m])
                where = f"  {inert(m.host)}:{inert(m.pid)}"
                rows.append(_group_row(where, "", single, m.status(now, args.stalled_after)))
    _table(header, rows, right={1, 2, 4, 5})


def _group_row(name: str, procs: str, group: Group, state: str) -> list[str]:
    """A line of ``show``: the error of a failed member, if any, in the notes, also when the
    group is livelier than failed."""
    total = group.total
    progress = format_count(group.n) + ("" if total is None else f"/{format_count(total)}")
    notes = group.error or " ".join(f"{key}={_short(value)}" for key, value in group.data.items())
    return [
        name,
        procs,
        progress,
        format_duration(group.duration),
        format_rate(group.mean_rate),
        format_rate(group.last_rate),
        state,
        inert(notes),
    ]


def _table(header: list[str], rows: list[list[str]], right: set[int]) -> None:
    widths = [max([len(h)] + [len(row[i]) for row in rows]) for i, h in enumerate(header)]
    for row in [header, *rows]:
        cells = [
            cell.rjust(widths[i]) if i in right else cell.ljust(widths[i])
            for i, cell in enumerate(row)
        ]
        print("  ".join(cells).rstrip())


def _report_unusable(command: str, unreadable: Unreadable, counts: Counts) -> None:
    parts = []
    if unreadable.not_json:
        parts.append(f"{unreadable.not_json:,} lines not JSON (a torn last line included)")
    if unreadable.not_objects:
        parts.append(f"{unreadable.not_objects:,} JSON values that are not objects")
    if counts.without_run:
        parts.append(f"{counts.without_run:,} events without a run id")
    if counts.without_time:
        parts.append(f"{counts.without_time:,} events without a readable timestamp")
    if parts:
        print(f"hotprobe {command}: left out {'; '.join(parts)}", file=sys.stderr)


def _fail(command: str, message: str, status: int = 1) -> int:
    print(f"hotprobe {command}: error: {inert(redacted_text(message))}", file=sys.stderr)
    return status


def _tally(states: dict[str, int]) -> str:
    return ", ".join(f"{count} {state}" for state, count in states.items())


def _short(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    text = value if isinstance(value, str) else orjson.dumps(value).decode()
    return text if len(text) <= 40 else text[:39] + "…"


def _iso(when: float) -> str | None:
    if when in (float("inf"), float("-inf")):
        return None
    return datetime.fromtimestamp(when, timezone.utc).isoformat(timespec="microseconds")


def _local(when: float) -> str:
    return datetime.fromtimestamp(when, timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
