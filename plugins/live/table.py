"""The live view's picture: a board snapshot as a rich table with a summary line."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.progress_bar import ProgressBar
from rich.table import Table
from rich.text import Text

from collector.format import format_count, format_duration, format_rate
from collector.text import rich_text
from plugins.live.board import (
    DONE,
    FAILED,
    IDLE,
    RUNNING,
    STALLED,
    RunRow,
    Snapshot,
    StreamRow,
)

_STATUS_STYLE = {
    RUNNING: "cyan",
    DONE: "green",
    FAILED: "bold red",
    STALLED: "yellow",
    IDLE: "dim",
}
_ORDER = (RUNNING, STALLED, IDLE, FAILED, DONE)
BAR_WIDTH = 20
_ONE_LINE = {"no_wrap": True, "overflow": "ellipsis"}


def render(snapshot: Snapshot) -> RenderableType:
    """The table of shown rows, a line for hidden ones, and the totals."""
    table = Table(box=None, pad_edge=False, header_style="bold", expand=False)
    # probe and note are the columns that give way on a narrow terminal (their cells do not
    # wrap: they end in an ellipsis).
    table.add_column("probe", max_width=32)
    table.add_column("host:pid", no_wrap=True, overflow="ellipsis", max_width=24, style="dim")
    table.add_column("n/total", justify="right", no_wrap=True)
    table.add_column("", width=BAR_WIDTH, no_wrap=True)
    table.add_column("rate", justify="right", no_wrap=True)
    table.add_column("ETA", justify="right", no_wrap=True)
    table.add_column("last", justify="right", no_wrap=True)
    table.add_column("status", no_wrap=True)
    table.add_column("", max_width=48)
    for row, status in zip(snapshot.rows, snapshot.statuses, strict=True):
        table.add_row(*_cells(row, status, snapshot.now))
    lines: list[RenderableType] = [_run_line(run) for run in snapshot.runs]
    lines.append(table)
    if snapshot.hidden:
        lines.append(Text(f"… and {_tally(snapshot.hidden)} not shown", style="dim"))
    summary = f"{sum(snapshot.counts.values())} streams: {_tally(snapshot.counts)}"
    if snapshot.forgotten:
        summary += f" ({snapshot.forgotten:,} finished earlier)"
    lines.append(Text(f"{summary} · {snapshot.events:,} events", style="bold"))
    return Group(*lines)


def _run_line(run: RunRow) -> Text:
    """``run ID · exit 0 after 1.2s · COMMAND · git COMMIT* · k=v``: inert text on one line,
    what matters first (a narrow terminal cuts the end)."""
    parts = [f"run {run.run}"]
    if run.ended:
        how = f"signal {run.signal}" if run.signal else f"exit {run.status}"
        parts.append(f"{how} after {format_duration(run.duration)}")
    if run.argv:
        parts.append(" ".join(run.argv))
    if run.git and run.git.get("commit"):
        dirty = "*" if run.git.get("dirty") else ""
        parts.append(f"git {str(run.git['commit'])[:10]}{dirty}")
    if run.labels:
        parts.append(" ".join(f"{key}={value}" for key, value in run.labels.items()))
    failed = run.ended and (run.signal or run.status not in (0, None))
    return rich_text(" · ".join(parts), "red" if failed else "dim", **_ONE_LINE)


def _cells(row: StreamRow, status: str, now: float) -> list[RenderableType]:
    """One row; every text that came in an event is inert (``rich_text``)."""
    style = _STATUS_STYLE.get(status, "")
    note = rich_text(row.data_text, "dim", **_ONE_LINE)
    if status == FAILED:
        note = rich_text(row.error, "red", **_ONE_LINE)
    elif row.errors:
        plural = "s" if row.errors > 1 else ""
        note = rich_text(f"{row.errors} error{plural}: {row.error}", "red", **_ONE_LINE)
    return [
        rich_text(row.probe, **_ONE_LINE),
        rich_text(row.where),
        format_count(row.n)
        if row.total is None
        else f"{format_count(row.n)}/{format_count(row.total)}",
        _bar(row, status),
        format_rate(row.rate),
        format_duration(row.eta if status == RUNNING else None),
        f"{format_duration(max(0.0, now - row.last_seen))} ago",
        Text(status, style=style),
        note,
    ]


def _progress(row: StreamRow) -> str:
    if row.total is None:
        return format_count(row.n)
    return f"{format_count(row.n)}/{format_count(row.total)}"


def _bar(row: StreamRow, status: str) -> RenderableType:
    if row.total is None:
        return ""
    return ProgressBar(
        total=row.total,
        completed=min(row.n, row.total),
        width=BAR_WIDTH,
        complete_style=_STATUS_STYLE.get(status, "cyan").replace("bold ", ""),
        finished_style="green",
    )


def _tally(counts: dict[str, int]) -> str:
    ordered = [s for s in _ORDER if s in counts] + sorted(set(counts) - set(_ORDER))
    return ", ".join(f"{counts[status]} {status}" for status in ordered)
