"""The live view's picture: a board snapshot as a rich table with a summary line.

The table is laid out for the width it is drawn at. When the columns do not fit, they give
way in this order: ``last`` (how long ago) goes, then ``host:pid``, then the bar narrows
from 20 to 8 cells, then the note (data or error) goes, then the ETA, the rate and the bar.
The name is never dropped: it keeps its full width while anything else can give way, and
is shortened with an ellipsis only when nothing else is left.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.progress_bar import ProgressBar
from rich.table import Table
from rich.text import Text

from collector.format import format_count, format_duration, format_rate
from collector.text import rich_text
from plugins.live.board import DONE, FAILED, IDLE, RUNNING, STALLED, RunRow, Snapshot

_STATUS_STYLE = {
    RUNNING: "cyan",
    DONE: "green",
    FAILED: "bold red",
    STALLED: "yellow",
    IDLE: "dim",
}
_ORDER = (RUNNING, STALLED, IDLE, FAILED, DONE)
BAR_WIDTH = 20
NARROW_BAR = 8
NAME_MAX, WHERE_MAX, NOTE_MAX, NOTE_MIN, NOTE_LEAST = 40, 24, 48, 12, 8
_GAP = 2  # between two columns
_ONE_LINE = {"no_wrap": True, "overflow": "ellipsis"}
# Which columns give way first, and how: None drops the column, a number narrows it to that.
_GIVE_WAY: tuple[tuple[str, int | None], ...] = (
    ("note", NOTE_MIN),
    ("last", None),
    ("where", None),
    ("bar", NARROW_BAR),
    ("note", None),
    ("eta", None),
    ("rate", None),
    ("bar", None),
)


@dataclass
class _Column:
    name: str
    header: str
    width: int
    justify: str = "left"
    shown: bool = True


def render(snapshot: Snapshot) -> RenderableType:
    """The table of shown rows, a line for hidden ones, and the totals."""
    return _View(snapshot)


class _View:
    """Lays the table out when rich knows the width it draws at."""

    def __init__(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield _picture(self.snapshot, options.max_width)


def _picture(snapshot: Snapshot, width: int) -> RenderableType:
    cells = [
        _cells(row, status, snapshot.now)
        for row, status in zip(snapshot.rows, snapshot.statuses, strict=True)
    ]
    columns = _layout(cells, width)
    table = Table(box=None, pad_edge=False, header_style="bold", expand=False, padding=(0, 1))
    for column in columns:
        if column.shown:
            table.add_column(column.header, width=column.width, justify=column.justify, **_ONE_LINE)
    bar = next(c for c in columns if c.name == "bar")
    for row, status, row_cells in zip(snapshot.rows, snapshot.statuses, cells, strict=True):
        row_cells["bar"] = _bar(row, status, bar.width)
        table.add_row(*[row_cells[c.name] for c in columns if c.shown])
    lines: list[RenderableType] = [_run_line(run) for run in snapshot.runs]
    lines.append(table)
    if snapshot.hidden:
        lines.append(Text(f"… and {_tally(snapshot.hidden)} not shown", style="dim"))
    total = sum(snapshot.counts.values())
    summary = f"{total} streams: {_tally(snapshot.counts)}" if total else "0 streams"
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


def _layout(cells: list[dict[str, Any]], width: int) -> list[_Column]:
    """Column widths for ``width`` cells, giving way in the documented order."""

    def natural(name: str, header: str, cap: int = 1000) -> int:
        return min(cap, max([len(header)] + [_length(row[name]) for row in cells]))

    columns = [
        _Column("probe", "probe", natural("probe", "probe", NAME_MAX)),
        _Column("where", "host:pid", natural("where", "host:pid", WHERE_MAX)),
        _Column("count", "n/total", natural("count", "n/total"), "right"),
        _Column("bar", "", BAR_WIDTH),
        _Column("rate", "rate", natural("rate", "rate"), "right"),
        _Column("eta", "ETA", natural("eta", "ETA"), "right"),
        _Column("last", "last", natural("last", "last"), "right"),
        _Column("status", "status", natural("status", "status")),
        _Column("note", "", natural("note", "", NOTE_MAX)),
    ]
    by_name = {column.name: column for column in columns}
    note = by_name["note"]
    note.shown = note.width > 0
    note_least = min(note.width, NOTE_MIN)

    def used() -> int:
        shown = [c.width for c in columns if c.shown]
        return sum(shown) + _GAP * (len(shown) - 1)

    given: list[tuple[_Column, int, bool]] = []  # what gave way, as it was before
    for name, least in _GIVE_WAY:
        if used() <= width:
            break
        column = by_name[name]
        given.append((column, column.width, column.shown))
        if least is None:
            column.shown = False
        elif column is note:
            column.width = max(note_least, column.width - (used() - width))
        else:
            column.width = max(least, column.width - (used() - width))
    for column, before, shown in reversed(given):  # take back what still fits, in order
        if shown and not column.shown:
            room = width - used() - _GAP
            if column is note and room >= NOTE_LEAST:
                column.width = min(before, room)
            if room >= column.width:
                column.shown = True
        elif column.width < before:
            column.width = min(before, column.width + max(0, width - used()))
    name = by_name["probe"]
    name.width = max(1, name.width - max(0, used() - width))
    return columns


def _length(cell: Any) -> int:
    return cell.cell_len if isinstance(cell, Text) else len(cell)


def _cells(row: Any, status: str, now: float) -> dict[str, Any]:
    """One row's cells by column; every text that came in an event is inert (``rich_text``)."""
    style = _STATUS_STYLE.get(status, "")
    note = rich_text(row.data_text, "dim")
    if status == FAILED and row.error:
        note = rich_text(row.error, "red")
    elif row.errors:
        plural = "s" if row.errors > 1 else ""
        note = rich_text(f"{row.errors} error{plural}: {row.error}", "red")
    if hasattr(row, "members"):  # a group line: its tally of members is its note
        note = Text(row.data_text, style="red" if row.errors else "dim")
    return {
        "probe": rich_text(row.probe),
        "where": rich_text(row.where),
        "count": _progress(row),
        "bar": "",
        "rate": format_rate(row.rate),
        "eta": format_duration(row.eta if status == RUNNING else None),
        "last": f"{format_duration(max(0.0, now - row.last_seen))} ago",
        "status": Text(status, style=style),
        "note": note,
    }


def _progress(row: Any) -> str:
    if row.total is None:
        return format_count(row.n)
    return f"{format_count(row.n)}/{format_count(row.total)}"


def _bar(row: Any, status: str, width: int) -> RenderableType:
    if row.total is None:
        return ""
    return ProgressBar(
        total=row.total,
        completed=min(row.n, row.total),
        width=width,
        complete_style=_STATUS_STYLE.get(status, "cyan").replace("bold ", ""),
        finished_style="green",
    )


def _tally(counts: dict[str, int]) -> str:
    ordered = [s for s in _ORDER if s in counts] + sorted(set(counts) - set(_ORDER))
    return ", ".join(f"{counts[status]} {status}" for status in ordered)
