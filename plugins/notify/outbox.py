"""Alerts waiting to be sent, and the causes already sent, kept in a journal file.

Each line of the journal is ``{"pending": alert}`` or ``{"sent": key}``. An alert is written
(and fsynced) before the events that raised it count as delivered, and its key is written
once the webhook took it, so a restarted collector sends what was pending and never sends a
key twice (a crash between the webhook's answer and that line is the one window for a
repeat). The file is rewritten when it grows past ``max_bytes``, keeping the pending alerts
and the newest ``remember`` sent keys.
"""

from __future__ import annotations

import contextlib
import os
from collections import OrderedDict
from dataclasses import asdict
from pathlib import Path

import orjson

from plugins.notify.alerts import Alert


class Outbox:
    """Pending alerts in arrival order, and sent keys; not thread-safe (the owner locks)."""

    def __init__(self, path: str | os.PathLike[str], remember: int = 50_000) -> None:
        self.path = Path(path)
        self.remember = remember
        self.max_bytes = 16 << 20
        self.pending: OrderedDict[str, tuple[Alert, float]] = OrderedDict()
        self.sent: OrderedDict[str, None] = OrderedDict()
        self._file = None
        self._size = 0
        self._dirty = False

    def open(self, now: float) -> None:
        """Read what a previous run left, then append from here on. Raises ``OSError``."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileNotFoundError), self.path.open("rb") as file:
            for line in file:
                try:
                    record = orjson.loads(line)
                    if "sent" in record:
                        self._remember(record["sent"])
                        self.pending.pop(record["sent"], None)
                    elif record["pending"]["key"] not in self.sent:
                        alert = Alert(**record["pending"])
                        self.pending[alert.key] = (alert, now)
                except (orjson.JSONDecodeError, KeyError, TypeError):
                    continue  # a torn last line: what it held was never acknowledged
        self._rewrite()

    def add(self, alerts: list[Alert], now: float) -> int:
        """Queue alerts whose cause was not seen before; returns how many were new."""
        added = 0
        for alert in alerts:
            if alert.key in self.sent or alert.key in self.pending:
                continue
            self.pending[alert.key] = (alert, now)
            self._append({"pending": asdict(alert)})
            added += 1
        return added

    def sync(self) -> None:
        """Make the queued alerts durable (one fsync, if anything was added)."""
        if self._dirty and self._file is not None:
            self._file.flush()
            os.fsync(self._file.fileno())
            self._dirty = False

    def first_queued(self) -> float | None:
        """When the oldest pending alert was queued."""
        return next(iter(self.pending.values()))[1] if self.pending else None

    def mark_sent(self, keys: list[str]) -> None:
        for key in keys:
            self.pending.pop(key, None)
            self._remember(key)
            self._append({"sent": key})
        self.sync()
        if self._size > self.max_bytes:
            self._rewrite()

    def drop(self, keys: list[str]) -> None:
        """Give up on pending alerts (a webhook that refuses them): they are not retried."""
        self.mark_sent(keys)

    def close(self) -> None:
        if self._file is not None:
            self.sync()
            self._file.close()
            self._file = None

    def _remember(self, key: str) -> None:
        self.sent[key] = None
        self.sent.move_to_end(key)
        while len(self.sent) > self.remember:
            self.sent.popitem(last=False)

    def _append(self, record: dict) -> None:
        assert self._file is not None, "open() first"
        line = orjson.dumps(record, default=str) + b"\n"
        self._file.write(line)
        self._size += len(line)
        self._dirty = True

    def _rewrite(self) -> None:
        """The journal anew: the sent keys remembered, then the pending alerts (atomically)."""
        if self._file is not None:
            self._file.close()
        temporary = self.path.with_name(self.path.name + ".new")
        lines = [orjson.dumps({"sent": key}) + b"\n" for key in self.sent]
        lines += [
            orjson.dumps({"pending": asdict(a)}, default=str) + b"\n"
            for a, _ in self.pending.values()
        ]
        with temporary.open("wb") as file:
            file.write(b"".join(lines))
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, self.path)
        self._file = self.path.open("ab")
        self._size = sum(map(len, lines))
        self._dirty = False
