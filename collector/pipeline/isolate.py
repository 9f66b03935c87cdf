"""Writing one batch so that events the sink refuses are found and set apart, not retried.

A permanent refusal of a batch (see ``Sink.is_permanent``) says that some of its events can
never be written, not which. The batch is split in halves, and the halves written in order,
until every refused event stands alone; a ``Refused`` naming its events settles it at once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from collector.sinks import Refused

Events = list[dict[str, Any]]


def refusal_reason(error: BaseException) -> str:
    """The text dead letters carry for ``error``."""
    if isinstance(error, Refused):
        return error.reason
    return f"{type(error).__name__}: {error}"


class BatchWrite:
    """One batch on its way into a sink: the pieces still to write, in order."""

    def __init__(self, events: Events) -> None:
        self.size = len(events)
        self._pieces: list[Events] = [events] if events else []  # the next piece last
        self.done = 0  # events written or refused so far

    @property
    def finished(self) -> bool:
        return not self._pieces

    def remaining(self) -> Events:
        """The events not yet written nor refused, in order."""
        return [event for piece in reversed(self._pieces) for event in piece]

    def step(
        self, write: Callable[[Events], None], is_permanent: Callable[[Exception], bool]
    ) -> tuple[int, list[tuple[dict[str, Any], str]]]:
        """Write the next piece: returns how many events were written and the events refused
        with their reasons. An error that is not permanent is raised, the piece kept."""
        piece = self._pieces[-1]
        try:
            write(piece)
        except Exception as error:
            if not is_permanent(error):
                raise
            return self._refused(piece, error)
        self._pieces.pop()
        self.done += len(piece)
        return len(piece), []

    def _refused(
        self, piece: Events, error: Exception
    ) -> tuple[int, list[tuple[dict[str, Any], str]]]:
        reason = refusal_reason(error)
        reasons = error.reasons if isinstance(error, Refused) else None
        if reasons is not None and all(0 <= index < len(piece) for index in reasons):
            self._pieces.pop()
            self.done += len(piece)
            refused = [(piece[index], reasons[index]) for index in sorted(reasons)]
            return len(piece) - len(refused), refused
        if len(piece) == 1:
            self._pieces.pop()
            self.done += 1
            return 0, [(piece[0], reason)]
        middle = len(piece) // 2
        self._pieces[-1:] = [piece[middle:], piece[:middle]]
        return 0, []
