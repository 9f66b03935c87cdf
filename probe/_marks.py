"""The streams of ``probe.emit``: one per name, for a bounded number of names."""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

from probe._stream import Stream, resettable

#: Mark streams kept; the least recently used one beyond is forgotten.
NAMES_KEPT = 4096


class MarkStreams:
    """At most ``kept`` mark streams, the least recently used forgotten first."""

    def __init__(self, kept: int = NAMES_KEPT) -> None:
        self.kept = kept
        self._streams: OrderedDict[str, Stream] = OrderedDict()
        self._lock = threading.RLock()  # reentrant: a signal handler may emit inside an emit

    def mark(self, name: str, fields: dict[str, Any]) -> None:
        """Send one ``mark`` on stream ``name``, counting it in the stream's ``n``."""
        with self._lock:
            stream = self._streams.pop(name, None)
            if stream is None:
                stream = resettable(Stream(name, unit=None))
            self._streams[name] = stream
            if len(self._streams) > self.kept:
                self._streams.popitem(last=False)
            stream.n += 1
            n = stream.n
        stream.mark(n, fields)

    def __len__(self) -> int:
        return len(self._streams)
