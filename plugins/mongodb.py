"""``mongodb://...``: kept events inserted into a MongoDB collection.

A standard connection string selects the sink. The database is the URI's path (default
``hotprobe``); the ``collection`` option (default ``events``) is taken out of the URI before
pymongo sees it. Documents are the events as they are, except:

- ``timestamp`` is stored as a BSON date (UTC, millisecond precision);
- field names MongoDB refuses are made safe, at any depth (``data`` included): a leading
  ``$`` becomes U+FF04 (fullwidth dollar sign), every ``.`` becomes U+FF0E (fullwidth full
  stop), a NUL becomes U+FFFD;
- integers beyond 64 bits are stored as strings.

Batches go out with ``insert_many(ordered=False)``. A retried batch keeps its ``_id`` values,
so documents a failed attempt did write are reported as duplicates and skipped: delivery is
at least once, and a batch replayed from the spool after a crash may appear twice.
"""

from __future__ import annotations

import contextlib
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl, unquote, urlencode

from collector import Sink, SinkSpec, hookimpl

DEFAULT_DATABASE = "hotprobe"
DEFAULT_COLLECTION = "events"
INDEXES = (("probe", "timestamp"), ("run", "seq"), ("run", "timestamp"), ("run", "event"))
#: Timeouts used unless the connection string sets its own: an outage is noticed in seconds.
CLIENT_DEFAULTS = {"serverSelectionTimeoutMS": 5000, "connectTimeoutMS": 5000}

_DUPLICATE_KEY = 11000
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
        self._batch: list[dict[str, Any]] | None = None
        self._documents: list[dict[str, Any]] = []

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

        if events is not self._batch:  # a retry sends the same documents, _id and all
            self._batch, self._documents = events, [to_document(event) for event in events]
        try:
            self._collection.insert_many(self._documents, ordered=False)
        except BulkWriteError as exc:
            details = exc.details
            others = [e for e in details.get("writeErrors", ()) if e.get("code") != _DUPLICATE_KEY]
            if others or details.get("writeConcernErrors"):
                raise
        self._batch, self._documents = None, []

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = self._collection = None


def to_document(event: dict[str, Any]) -> dict[str, Any]:
    """The MongoDB document for one event (a new dict; the event is left as it is)."""
    document = {}
    for key, value in event.items():
        if key not in _PROTOCOL_FIELDS:
            key = safe_key(key)
        document[key] = _safe_value(value) if type(value) in (dict, list, int) else value
    stamp = document.get("timestamp")
    if type(stamp) is str:
        with contextlib.suppress(ValueError):  # else kept as written
            document["timestamp"] = datetime.fromisoformat(stamp)
    return document


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


def _safe_value(value: Any) -> Any:
    kind = type(value)
    if kind is dict:
        return {safe_key(key): _safe_value(item) for key, item in value.items()}
    if kind is list:
        return [_safe_value(item) for item in value]
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
