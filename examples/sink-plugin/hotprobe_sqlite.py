"""``sqlite:PATH``: kept hotprobe events as rows of a SQLite table, one row per event.

The protocol's fields get columns of their own (query them with SQL), and every event is also
stored whole as JSON in the ``event_json`` column, so nothing an event carries is lost.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
from typing import Any

from collector import Option, Sink, SinkSpec, hookimpl

#: Protocol fields stored in columns of their own, with their SQLite types.
COLUMNS = {
    "timestamp": "TEXT",
    "probe": "TEXT",
    "event": "TEXT",
    "n": "INTEGER",
    "total": "INTEGER",
    "elapsed": "REAL",
    "rate": "REAL",
    "host": "TEXT",
    "pid": "INTEGER",
    "run": "TEXT",
    "seq": "INTEGER",
}
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_SQLITE_INT = range(-(2**63), 2**63)


def table_name(value: str) -> str:
    """A table name that needs no quoting in SQL."""
    if not _NAME.fullmatch(value):
        raise ValueError(f"expected letters, digits and '_' only, not {value!r}")
    return value


#: The sink's options, declared once: the collector checks and converts them, and
#: ``hotprobe sinks`` lists them with their defaults.
OPTIONS = (Option("table", "table name", table_name, "events"),)


class SQLiteSink(Sink):
    """One transaction per batch: a batch is stored whole or not at all, so a failed write
    that the collector retries never leaves half a batch behind. An event stored twice
    (a retried batch, a replayed spool) is stored once: ``(host, pid, run, probe, seq)``."""

    def __init__(self, spec: SinkSpec) -> None:
        super().__init__(spec)
        if not spec.target:
            raise ValueError("sqlite sink needs a database path: sqlite:PATH")
        self.path = os.path.expanduser(spec.target)
        self.table = spec.options["table"]
        self.connection: sqlite3.Connection | None = None
        names = ", ".join([*COLUMNS, "event_json"])
        marks = ", ".join("?" * (len(COLUMNS) + 1))
        self._insert = f"INSERT OR IGNORE INTO {self.table} ({names}) VALUES ({marks})"

    def open(self) -> None:
        parent = os.path.dirname(os.path.abspath(self.path))
        os.makedirs(parent, exist_ok=True)
        # Opened in the sink's worker thread; closed in the same thread by close().
        self.connection = sqlite3.connect(self.path, timeout=30)
        self.connection.execute("PRAGMA journal_mode=WAL")  # readers never block writes
        columns = ", ".join(f"{name} {kind}" for name, kind in COLUMNS.items())
        with self.connection:
            self.connection.execute(
                f"CREATE TABLE IF NOT EXISTS {self.table} "
                f"(id INTEGER PRIMARY KEY, {columns}, event_json TEXT NOT NULL)"
            )
            self.connection.execute(
                f"CREATE INDEX IF NOT EXISTS {self.table}_probe_time "
                f"ON {self.table} (probe, timestamp)"
            )
            self.connection.execute(
                f"CREATE UNIQUE INDEX IF NOT EXISTS {self.table}_once "
                f"ON {self.table} (host, pid, run, probe, seq)"
            )

    def write(self, events: list[dict[str, Any]]) -> None:
        assert self.connection is not None, "open() was not called"
        rows = [
            (*(_cell(event.get(name)) for name in COLUMNS), json.dumps(event, default=str))
            for event in events
        ]
        with self.connection:  # commit, or roll back if anything raises
            self.connection.executemany(self._insert, rows)

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None


def _cell(value: Any) -> Any:
    """A value SQLite can store: scalars as they are, anything else (and huge ints) as JSON."""
    if value is None or isinstance(value, (str, float)):
        return value
    if isinstance(value, int) and value in _SQLITE_INT:
        return value
    return json.dumps(value, default=str)


@hookimpl
def register_sinks(register):
    register(
        "sqlite",
        SQLiteSink,
        description="rows in a SQLite table (sqlite:PATH)",
        options=OPTIONS,
        target="PATH",
    )
