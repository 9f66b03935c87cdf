"""``mongodb://...``: kept events inserted into a MongoDB collection.

A standard connection string selects the sink. The database is the URI's path (default
``hotprobe``); the ``collection`` option (default ``events``) is taken out of the URI before
pymongo sees it. Documents are the events as they are, except:

- ``_id`` is derived from the event's identity (``collector.event_id``: run, host, pid,
  probe, seq), so a retried or replayed event is the same document: duplicate keys are
  events already written, and the collection holds each event once;
- an event's own ``_id`` field is kept under the name ``OWN_ID``: U+FF3F (fullwidth low
  line) then ``id``;
- ``timestamp`` is stored as a BSON date (UTC, millisecond precision) when BSON can hold it
  (years 1 to 9999 in UTC), else as the text it was;
- field names MongoDB refuses are made safe, at any depth (``data`` included): a leading
  ``$`` becomes U+FF04 (fullwidth dollar sign), every ``.`` becomes U+FF0E (fullwidth full
  stop), a NUL becomes U+FFFD;
- integers beyond 64 bits are stored as strings;
- objects and arrays nested more than ``MAX_NESTING`` levels deep are stored as their JSON
  text (MongoDB takes at most 100 levels; the collector lets events reach 200).

Batches go out with ``insert_many(ordered=False)``. Documents the server refuses (too large,
failing validation, ...) are ``Refused`` by position and dead-lettered; the rest is written.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any
from urllib.parse import parse_qsl, unquote, urlencode

import orjson

from collector import Refused, Sink, SinkSpec, event_id, hookimpl

DEFAULT_DATABASE = "hotprobe"
DEFAULT_COLLECTION = "events"
INDEXES = (("probe", "timestamp"), ("run", "seq"), ("run", "timestamp"), ("run", "event"))
#: Timeouts used unless the connection string sets its own: an outage is noticed in seconds.
CLIENT_DEFAULTS = {"serverSelectionTimeoutMS": 5000, "connectTimeoutMS": 5000}

#: Levels of objects and arrays kept as such in a document (the document itself is level 1).
MAX_NESTING = 99
OWN_ID = "\uff3fid"

_DUPLICATE_KEY = 11000
#: Write errors that say nothing about the document: the write is tried again.
_TRANSIENT_CODES = frozenset(
    {6, 7, 50, 89, 91, 189, 262, 9001, 10107, 11600, 11602, 13435, 13436, 64, 112, 117}
)
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1
_PROTOCOL_FIELDS = frozenset(
    {"v", "timestamp", "probe", "event", "n", "total", "elapsed", "rate", "host", "pid"}
    | {"run", "seq", "dropped"}
)


class MongoSink(Sink):
    """Inserts batches into ``database.collection``; the client is made in ``open``, in the
    sink's worker thread (after any fork)."""

    def __init__(self, spec: SinkSpec) -> None:
        super().__init__(spec)
        base, _, query = spec.text.partition("?")
        pairs = parse_qsl(query, keep_blank_values=True)
        self.collection_name = dict(pairs).get("collection", DEFAULT_COLLECTION)
        if not self.collection_name or "$" in self.collection_name:
            raise ValueError(f"sink option collection={self.collection_name!r}: not a name")
        rest = [(key, value) for key, value in pairs if key != "collection"]
        self.uri = base + ("?" + urlencode(rest) if rest else "")
        given = {key.lower() for key, _ in rest}
        self.client_options = {k: v for k, v in CLIENT_DEFAULTS.items() if k.lower() not in given}
        path = base.partition("://")[2].partition("/")[2]
        self.database_name = unquote(path) or DEFAULT_DATABASE
        if spec.scheme == "mongodb":  # mongodb+srv would need DNS here: checked in open()
            from pymongo.errors import PyMongoError
            from pymongo.uri_parser import parse_uri

            try:
                parse_uri(self.uri)
            except (PyMongoError, ValueError) as exc:
                raise ValueError(f"bad MongoDB connection string: {exc}") from None
        self._client: Any = None
        self._collection: Any = None

    def open(self) -> None:
        from pymongo import MongoClient

        client = MongoClient(self.uri, **self.client_options)
        try:
            collection = client[self.database_name][self.collection_name]
            for fields in INDEXES:
                collection.create_index([(name, 1) for name in fields])
        except BaseException:
            client.close()
            raise
        self._client, self._collection = client, collection

    def write(self, events: list[dict[str, Any]]) -> None:
        from pymongo.errors import BulkWriteError

        documents = [to_document(event) for event in events]
        try:
            self._collection.insert_many(documents, ordered=False)
        except BulkWriteError as exc:
            details = exc.details
            errors = [e for e in details.get("writeErrors", ()) if e.get("code") != _DUPLICATE_KEY]
            if details.get("writeConcernErrors") or any(
                e.get("code") in _TRANSIENT_CODES for e in errors
            ):
                raise
            if errors:  # the others are written, or were already (duplicate keys)
                reasons = {
                    e["index"]: f"MongoDB error {e.get('code')}: {e.get('errmsg')}" for e in errors
                }
                raise Refused("refused by MongoDB", reasons) from None

    def is_permanent(self, error: Exception) -> bool:
        """Documents BSON cannot encode are refused for good; pymongo's other errors
        (connection lost, timeouts, a server stepping down) pass."""
        from bson.errors import BSONError
        from pymongo.errors import PyMongoError

        if isinstance(error, BSONError):  # InvalidDocument, DocumentTooLarge among them
            return True
        if isinstance(error, PyMongoError):
            return False
        return super().is_permanent(error)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = self._collection = None


def to_document(event: dict[str, Any]) -> dict[str, Any]:
    """The MongoDB document for one event (a new dict; the event is left as it is)."""
    document = {"_id": event_id(event)}
    for key, value in event.items():
        if key not in _PROTOCOL_FIELDS:
            key = OWN_ID if key == "_id" else safe_key(key)
        document[key] = _safe_value(value, 2) if type(value) in (dict, list, int) else value
    stamp = document.get("timestamp")
    if type(stamp) is str:
        document["timestamp"] = _date(stamp)
    return document


def _date(stamp: str) -> datetime | str:
    """A BSON-ready date for an ISO 8601 timestamp; the text when BSON cannot hold it."""
    try:
        moment = datetime.fromisoformat(stamp)
        if moment.tzinfo is not None:
            moment.astimezone(timezone.utc)  # years 1 to 9999 in UTC, or OverflowError
    except (ValueError, OverflowError):
        return stamp
    return moment


def safe_key(key: Any) -> str:
    """A field name MongoDB accepts: no leading ``$``, no ``.``, no NUL."""
    if type(key) is not str:
        key = str(key)
    if key[:1] == "$":
        key = "\uff04" + key[1:]
    if "." in key:
        key = key.replace(".", "\uff0e")
    if "\x00" in key:
        key = key.replace("\x00", "\ufffd")
    return key


def _safe_value(value: Any, level: int) -> Any:
    """``value`` as it is stored at nesting ``level`` (the document's own fields are at 2)."""
    kind = type(value)
    if kind is dict or kind is list:
        if level > MAX_NESTING:
            return orjson.dumps(value, default=str).decode()
        if kind is dict:
            return {safe_key(key): _safe_value(item, level + 1) for key, item in value.items()}
        return [_safe_value(item, level + 1) for item in value]
    if kind is int and not _INT64_MIN <= value <= _INT64_MAX:
        return str(value)
    return value


@hookimpl
def register_sinks(register):
    options = {
        "collection": f"collection name (default {DEFAULT_COLLECTION}; database: the URI path, "
        f"default {DEFAULT_DATABASE})",
    }
    for scheme in ("mongodb", "mongodb+srv"):
        register(
            scheme,
            MongoSink,
            description="documents inserted into MongoDB (standard connection string)",
            options=options,
        )
