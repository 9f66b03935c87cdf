"""``probe.progress``: a context manager for loops the probe cannot wrap."""

from __future__ import annotations

from types import TracebackType

from probe._stream import Stream


class Progress(Stream):
    """A progress stream used as ``with probe.progress(name, total) as p: p.update()``."""

    __slots__ = ()

    def __enter__(self) -> Progress:
        self.start()
        return self

    def update(self, k: int = 1, **fields: object) -> None:
        """Add ``k`` units done; ``fields`` (optional) travel in the next event's ``data``."""
        n = self.n = self.n + k
        if fields:
            self._data = fields
        if n >= self._next_check:
            self._next_check = self.checkpoint()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc is None:
            self.finish()
        else:
            self.fail(exc)


class DisabledProgress(Progress):
    """What ``probe.progress`` returns when the probe is disabled: counts, sends nothing."""

    __slots__ = ()

    def __enter__(self) -> Progress:
        return self

    def update(self, k: int = 1, **fields: object) -> None:
        """Add ``k`` units done."""
        self.n += k

    def __exit__(self, *exc_info: object) -> None:
        return None
