"""Events read back, one at a time, from JSON-lines files written by the ``file:`` sink or
from a MongoDB collection written by the ``mongodb://`` sink."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from typing import Any
from urllib.parse import unquote

import orjson

DEFAULT_DATABASE = "hotprobe"
DEFAULT_COLLECTION = "events"
_loads = orjson.loads
#: Events per batch from MongoDB, and bytes of lines per batch from a file.
BATCH = 10_000
BLOCK_BYTES = 4 << 20


class SourceError(Exception):
    """The source cannot be read at all (missing file, unreachable database)."""


@dataclass
class Unreadable:
    """Records read but not usable: lines that are not JSON (a torn last line included), and
    JSON values that are not objects."""

    not_json: int = 0
    not_objects: int = 0

    @property
    def total(self) -> int:
        return self.not_json + self.not_objects


def is_mongodb(source: str) -> bool:
    """True for a ``mongodb://`` or ``mongodb+srv://`` connection string."""
    return source.startswith(("mongodb://", "mongodb+srv://"))


def read_events(
    sources: Iterable[str],
    unreadable: Unreadable,
    collection: str | None = None,
    query: dict[str, Any] | None = None,
) -> Iterator[list[dict[str, Any]]]:
    """Every event of every source in batches, in the order stored: files line by line
    (rotated files in the order given), MongoDB in time order. ``query`` narrows a MongoDB
    read (a file is read whole). What cannot be read is counted in ``unreadable``; raises
    ``SourceError``."""
    for source in sources:
        if is_mongodb(source):
            with MongoSource(source, collection) as mongo:
                cursor = mongo.find(query or {})
                while batch := list(islice(cursor, BATCH)):
                    yield batch
        else:
            yield from _read_jsonl(source, unreadable)


def _read_jsonl(path: str, unreadable: Unreadable) -> Iterator[list[dict[str, Any]]]:
    try:
        file = open(path, "rb")  # noqa: SIM115 - closed below, also when the reader stops early
    except OSError as exc:
        raise SourceError(f"cannot read {path}: {exc.strerror or exc}") from None
    with file:
        while lines := file.readlines(BLOCK_BYTES):
            try:
                events = list(map(_loads, lines))
            except orjson.JSONDecodeError:
                events = _one_by_one(lines, unreadable)
            if set(map(type, events)) != {dict}:
                kept = [event for event in events if event.__class__ is dict]
                unreadable.not_objects += len(events) - len(kept)
                events = kept
            yield events


def _one_by_one(lines: list[bytes], unreadable: Unreadable) -> list[Any]:
    """The lines of a block that parse (blank lines are not counted as unreadable)."""
    events = []
    for line in lines:
        try:
            events.append(_loads(line))
        except orjson.JSONDecodeError:
            if line.strip():
                unreadable.not_json += 1
    return events


class MongoSource:
    """A connection to the collection a ``mongodb://`` sink wrote (its ``collection``
    option, or ``collection``, or ``events``), as a context manager."""

    def __init__(self, uri: str, collection: str | None = None) -> None:
        import pymongo
        from pymongo.errors import PyMongoError

        uri, option = _without_collection_option(uri)
        timeout = (
            {}
            if "serverselectiontimeoutms=" in uri.lower()
            else {"serverSelectionTimeoutMS": 10_000}
        )
        try:
            self.client: Any = pymongo.MongoClient(uri, **timeout)
        except (PyMongoError, ValueError) as exc:
            raise SourceError(f"bad MongoDB connection string: {exc}") from None
        database = self.client.get_default_database(DEFAULT_DATABASE)
        self.collection = database[collection or option or DEFAULT_COLLECTION]

    def __enter__(self) -> MongoSource:
        return self

    def __exit__(self, *_: object) -> None:
        self.client.close()

    def find(self, query: dict[str, Any], **options: Any) -> Iterator[dict[str, Any]]:
        """Documents matching ``query`` in time order, those of one time in ``seq`` order,
        without ``_id``."""
        from pymongo.errors import PyMongoError

        try:
            cursor = self.collection.find(query, {"_id": 0}, **options).sort("timestamp", 1)
            yield from in_seq_order_within_ties(cursor)
        except PyMongoError as exc:
            raise SourceError(f"cannot read from MongoDB: {exc}") from None

    def call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        """``collection.method(*args, **kwargs)``, its errors as ``SourceError``."""
        from pymongo.errors import PyMongoError

        try:
            return getattr(self.collection, method)(*args, **kwargs)
        except PyMongoError as exc:
            raise SourceError(f"cannot read from MongoDB: {exc}") from None


def in_seq_order_within_ties(documents: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """``documents`` in time order, with those of one ``timestamp`` in ``seq`` order. A stored
    time has milliseconds, so a short stream's start and end may share one and come back from
    a sort by time in either order; a sort by time and ``seq`` on the server would not be
    served by the ``(run, timestamp)`` index. Holds one time's documents at a time."""
    tie: list[dict[str, Any]] = []
    for document in documents:
        if tie and document.get("timestamp") != tie[0].get("timestamp"):
            yield from _in_seq(tie)
            tie = []
        tie.append(document)
    yield from _in_seq(tie)


def _in_seq(tie: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if len(tie) > 1:
        tie.sort(key=_seq)  # stable: documents without a seq keep their places among themselves
    return tie


def _seq(document: dict[str, Any]) -> int:
    seq = document.get("seq")
    return seq if seq.__class__ is int else -1


def _without_collection_option(uri: str) -> tuple[str, str | None]:
    """The sink's ``collection`` option is not a MongoDB URI option: take it out, leaving the
    rest of the connection string exactly as written."""
    base, sep, query = uri.partition("?")
    items = query.split("&") if sep else []
    collection = next(
        (unquote(i[len("collection=") :]) for i in items if i.startswith("collection=")), None
    )
    rest = "&".join(i for i in items if not i.startswith("collection="))
    return base + ("?" + rest if rest else ""), collection
