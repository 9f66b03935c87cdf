"""Drawing for ``hotprobe plot``: progress and rate against wall time, one line per stream.

matplotlib is an optional extra (``hotprobe[plot]``), imported only here and only when a plot
is drawn; figures are made without pyplot, so no GUI backend is ever touched.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from collector.plot.source import Series
from collector.text import inert

DPI = 100
MISSING_MATPLOTLIB = (
    "hotprobe plot needs matplotlib, an optional extra: python -m pip install 'hotprobe[plot]'"
)
_LEGEND_FONT_PT = 8
_LEGEND_COLUMNS_MAX = 3


class PlotUnavailable(RuntimeError):
    """matplotlib is not installed."""


def require_matplotlib() -> None:
    """Raise ``PlotUnavailable`` with the install hint when matplotlib cannot be imported."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise PlotUnavailable(MISSING_MATPLOTLIB) from None


def draw(
    series: list[Series],
    path: str,
    width: int,
    height: int,
    title: str,
    fields: Sequence[str] = (),
    marks: Sequence[tuple[datetime, str]] = (),
) -> list[str]:
    """Write the figure for ``series`` to ``path`` (.png or .svg), ``width`` x ``height`` px:
    progress, rate, a panel per data field in ``fields`` that some stream carries, and the
    ``marks`` as labelled ticks across every panel. Returns the panels' axis labels."""
    require_matplotlib()
    from matplotlib import dates, rc_context
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

    with_total = [s for s in series if s.total is not None]
    without_total = [s for s in series if s.total is None]
    with_rate = [s for s in series if s.rates]
    drawn_fields = [name for name in dict.fromkeys(fields) if any(name in s.fields for s in series)]
    panels = [p for p in (with_total, without_total, with_rate) if p] + drawn_fields
    figure = Figure(figsize=(width / DPI, height / DPI), dpi=DPI, layout="constrained")
    axes = figure.subplots(len(panels), 1, sharex=True, squeeze=False)[:, 0]
    colors = _colors(len(series))
    color_of = {id(s): colors[i] for i, s in enumerate(series)}
    panel = iter(axes)
    if with_total:
        _draw_progress(next(panel), with_total, color_of, fraction=True)
    if without_total:
        _draw_progress(next(panel), without_total, color_of, fraction=False)
    if with_rate:
        _draw_rates(next(panel), with_rate, color_of)
    for name in drawn_fields:
        _draw_field(next(panel), name, series, color_of)
    _draw_marks(axes, marks)
    locator = dates.AutoDateLocator()
    axes[-1].xaxis.set_major_locator(locator)
    axes[-1].xaxis.set_major_formatter(dates.ConciseDateFormatter(locator))
    axes[-1].set_xlabel("wall time (UTC)")
    for ax in axes:
        ax.grid(True, alpha=0.3)
    handles = [Line2D([], [], color=color_of[id(s)], lw=2) for s in series]
    labels = _labels(series)
    entries = _legend_capacity(height)
    if len(series) > entries:
        hidden = len(series) - entries + 1
        handles = [*handles[: entries - 1], Line2D([], [], color="none")]
        labels = [*labels[: entries - 1], f"… {hidden} more streams"]
    figure.legend(
        handles,
        labels,
        loc="outside right upper",
        ncols=max(1, math.ceil(len(handles) / _legend_rows(height))),
        fontsize=_LEGEND_FONT_PT,
        title=f"{len(series)} streams",
        frameon=False,
    )
    figure.suptitle(plain(title))
    # no date and fixed ids in an SVG: the same events draw the same file
    metadata = {"Date": None} if path.lower().endswith(".svg") else None
    with rc_context({"svg.hashsalt": "hotprobe"}):
        figure.savefig(path, metadata=metadata)
    return [ax.get_ylabel() for ax in axes]


def _draw_progress(ax: Any, series: list[Series], color_of: dict, fraction: bool) -> None:
    for s in series:
        scale = 100.0 / s.total if fraction and s.total else 1.0
        values = [math.nan if v is None else v * scale for v in s.n]
        ax.plot(s.times, values, color=color_of[id(s)], lw=1.5)
        if s.errors:
            ax.plot(
                [t for t, _ in s.errors],
                [v * scale for _, v in s.errors],
                "x",
                color="red",
                markersize=8,
                mew=2,
            )
    if fraction:
        ax.set_ylabel("% of total")
        ax.set_ylim(0, 105)
    else:
        ax.set_ylabel("n (no total)")
        ax.set_ylim(bottom=0)


def _draw_rates(ax: Any, series: list[Series], color_of: dict) -> None:
    positive = []
    marker = "." if len(series) <= 20 else None  # dots show the events; too many hide lines
    for s in series:
        ax.plot(s.rate_times, s.rates, color=color_of[id(s)], lw=1.2, marker=marker, ms=3)
        positive += [r for r in s.rates if r > 0]
    ax.set_ylabel("rate (per s)")
    if positive and max(positive) / min(positive) > 100:
        ax.set_yscale("log")
    else:
        ax.set_ylim(bottom=0)


def _draw_field(ax: Any, name: str, series: list[Series], color_of: dict) -> None:
    for s in series:
        if name in s.fields:
            times, values = s.fields[name]
            ax.plot(
                times,
                values,
                color=color_of[id(s)],
                lw=1.2,
                marker="." if len(times) < 200 else None,
                ms=3,
            )
    ax.set_ylabel(plain(name))


def _draw_marks(axes: Any, marks: Sequence[tuple[datetime, str]]) -> None:
    """A dotted line per mark through every panel, labelled at the top of the first."""
    for when, label in marks:
        for ax in axes:
            ax.axvline(when, color="0.45", lw=0.8, ls=":")
        axes[0].annotate(
            plain(label),
            xy=(when, 1.0),
            xycoords=("data", "axes fraction"),
            xytext=(2, -2),
            textcoords="offset points",
            rotation=90,
            va="top",
            fontsize=7,
            color="0.3",
        )


def _labels(series: list[Series]) -> list[str]:
    """Probe names, with ``host:pid`` where a name appears in more than one process, and
    the run where several runs are drawn."""
    name_count = Counter(s.probe for s in series)
    several_runs = len({s.run for s in series}) > 1
    labels = []
    for s in series:
        label = s.probe if name_count[s.probe] == 1 else f"{s.probe} ({s.host}:{s.pid})"
        labels.append(plain(f"{label} [{s.run}]" if several_runs else label))
    return labels


def plain(text: str) -> str:
    """Text from events as matplotlib shows it as written: inert, and ``$`` never starts
    mathematics (a bad formula would stop the drawing)."""
    return inert(text).replace("$", r"\$")


def _colors(count: int) -> list[Any]:
    from matplotlib import colormaps

    if count <= 10:
        return [colormaps["tab10"](i) for i in range(count)]
    if count <= 20:
        return [colormaps["tab20"](i) for i in range(count)]
    return [colormaps["turbo"](i / max(1, count - 1)) for i in range(count)]


def _legend_rows(height: int) -> int:
    """Legend entries that fit in one column of a figure ``height`` pixels tall."""
    entry_px = _LEGEND_FONT_PT * DPI / 72 * 1.6
    return max(4, int(height * 0.85 / entry_px))


def _legend_capacity(height: int) -> int:
    return _legend_rows(height) * _LEGEND_COLUMNS_MAX
