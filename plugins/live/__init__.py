"""``live``: a terminal view with one row per stream, redrawn a few times a second."""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from collector import Option, Sink, SinkSpec, hookimpl
from collector.options import choice, count, number_above_zero
from plugins.live import groups
from plugins.live.board import LiveBoard

if TYPE_CHECKING:  # rich is imported when a live view is drawn, not when plugins load
    from rich.console import Console, RenderableType
    from rich.live import Live

# Lines around the rows: the header, the "not shown" line and the summary.
_FRAME_LINES = 3

OPTIONS = (
    Option("refresh", "redraws per second", number_above_zero, 4.0),
    Option(
        "stalled_after",
        "seconds without an event before a stream is stalled, or idle for a tracked function",
        number_above_zero,
        10.0,
    ),
    Option("max_rows", "rows shown at most", count, None, default_text="all that fit the terminal"),
    Option(
        "groups",
        "fold: one row for a name that several processes of a run share; off: a row per stream",
        choice("fold", "off"),
        "fold",
    ),
)


class LiveSink(Sink):
    """Events update rows in memory (``write``); rich redraws them at ``refresh`` per second
    from its own thread, so the cost of drawing does not grow with the event rate."""

    def __init__(
        self,
        spec: SinkSpec,
        console: Console | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(spec)
        self.refresh = spec.options["refresh"]
        self.max_rows = spec.options["max_rows"]
        self.board = LiveBoard(stalled_after=spec.options["stalled_after"])
        self.fold = groups.fold if spec.options["groups"] == "fold" else None
        self.console = console
        self.clock = clock
        self._live: Live | None = None
        self._redirected: list[tuple[logging.StreamHandler, Any]] = []

    def open(self) -> None:
        from rich.console import Console
        from rich.live import Live

        self.console = self.console or Console()
        self._live = Live(
            console=self.console,
            refresh_per_second=self.refresh,
            get_renderable=self.renderable,
            transient=False,
        )
        self._live.start()
        self._redirect_logging()

    def renderable(self) -> RenderableType:
        """The view as of now, as many rows as the terminal has room for."""
        max_rows = self.max_rows
        if max_rows is None and self.console is not None and self.console.is_terminal:
            max_rows = max(5, self.console.size.height - _FRAME_LINES)
        from plugins.live.table import render

        return render(self.board.snapshot(self.clock(), max_rows, self.fold))

    def write(self, events: list[dict[str, Any]]) -> None:
        self.board.update(events, self.clock())

    def close(self) -> None:
        if self._live is not None:
            self._restore_logging()
            self._live.stop()  # last frame stays on screen; the cursor is shown again
            self._live = None

    def _redirect_logging(self) -> None:
        """Log records written to the terminal go above the view instead of through it."""
        proxies = {
            id(original): proxy
            for original, proxy in ((sys.__stderr__, sys.stderr), (sys.__stdout__, sys.stdout))
            if original is not None and proxy is not original and original.isatty()
        }
        for handler in logging.getLogger().handlers:
            if isinstance(handler, logging.StreamHandler) and id(handler.stream) in proxies:
                previous = handler.setStream(proxies[id(handler.stream)])
                self._redirected.append((handler, previous))

    def _restore_logging(self) -> None:
        for handler, previous in self._redirected:
            handler.setStream(previous)
        self._redirected.clear()


@hookimpl
def register_sinks(register):
    register(
        "live",
        LiveSink,
        description="a live view in the terminal: a row per stream with bar, rate and ETA",
        options=OPTIONS,
        target=None,
    )
