"""What a sink is: the spec it is built from and the four methods it implements."""

from __future__ import annotations

import abc
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from collector.options import Option


@dataclass(frozen=True)
class SinkSpec:
    """A ``--sink`` value, ``scheme[:target][?name=value&...]``, read against its sink's
    declaration.

    ``file:/tmp/run.jsonl?max_bytes=1000000`` has scheme ``file``, target ``/tmp/run.jsonl``
    and ``options["max_bytes"] == 1000000``: every option the sink declared, converted, with
    its default when not given. ``delivery`` holds the delivery options given (``batch_size``,
    ...), which the collector applies. ``query`` holds, exactly as written, the parameters a
    sink registered with ``passthrough`` takes for its URL (a MongoDB connection string's).
    ``text`` is the whole value as written.
    """

    text: str
    scheme: str
    target: str = ""
    options: dict[str, Any] = field(default_factory=dict)
    delivery: dict[str, Any] = field(default_factory=dict)
    query: str = ""


class Refused(Exception):
    """Raised by ``Sink.write``: the store will never accept some events of this batch.

    ``indexes`` are their positions in the batch (or a mapping of position to a reason of its
    own), and every other event of it was written; without them, the collector splits the
    batch to find the events refused. Refused events are not retried: each goes to the
    dead-letter file with the sink's name and its reason, and is counted ``rejected`` by that
    sink."""

    def __init__(
        self, reason: str, indexes: Iterable[int] | Mapping[int, str] | None = None
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.reasons: dict[int, str] | None = None
        if isinstance(indexes, Mapping):
            self.reasons = dict(indexes)
        elif indexes is not None:
            self.reasons = dict.fromkeys(indexes, reason)


#: What ``Sink.is_permanent`` takes for a refusal of the events themselves, by default.
PERMANENT_ERRORS: tuple[type[BaseException], ...] = (
    Refused,
    ValueError,  # UnicodeError among them
    TypeError,  # orjson.JSONEncodeError among them
    OverflowError,
    RecursionError,
)


class Sink(abc.ABC):
    """A destination for kept events: subclass it and implement ``write``.

    The collector builds a sink with ``factory(spec)``, its options already checked and
    converted (raise ``ValueError`` there for a bad target), then runs it in its own worker
    thread with a bounded queue, batching, retry with backoff and a disk spool, so a sink only
    does plain, blocking I/O. ``write`` raising means "not written": the same batch comes
    again later, so delivery is at least once, unless ``is_permanent`` says the events
    themselves are refused. A sink that raises or hangs holds up only itself, and is reported
    naming its plugin.

    ``delivery_defaults`` sets this sink's own defaults for delivery options (``batch_size``,
    ``max_delay``, ``queue_size``, ``spool_max_bytes``): ``{"max_delay": 0.02}`` for a live
    view. They take the place of the collector-wide defaults for this sink; an option given in
    the ``--sink`` value still wins. The registry reads them from the class registered as the
    factory and checks them as it checks options.
    """

    delivery_defaults: ClassVar[Mapping[str, Any]] = {}

    def __init__(self, spec: SinkSpec) -> None:
        self.spec = spec

    def open(self) -> None:  # noqa: B027 - optional hook
        """Connect or open files. Called once, in the sink's worker thread, before any write."""

    @abc.abstractmethod
    def write(self, events: list[dict[str, Any]]) -> None:
        """Write a batch of events (JSON-ready dicts, never empty), in order."""

    def is_permanent(self, error: Exception) -> bool:
        """Whether ``error``, raised by ``write``, means the store will never take (some of)
        these events, rather than a passing trouble.

        Permanent: the batch is split in halves until the refused events are found; they go
        to the dead-letter file and the rest is written. Transient: the batch is retried with
        backoff and spooled while it keeps failing. By default ``Refused``, ``ValueError``,
        ``TypeError``, ``OverflowError`` and ``RecursionError`` are permanent and anything
        else (``OSError``, ``ConnectionError``, ``TimeoutError``, ``RuntimeError``, a
        library's own errors) is transient. Override it to classify a library's errors."""
        return isinstance(error, PERMANENT_ERRORS)

    def flush(self) -> None:  # noqa: B027 - optional hook
        """Make what was written durable. Called after quiet spells and before ``close``."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release what ``open`` took. Called once, at shutdown."""


SinkFactory = Callable[[SinkSpec], Sink]


@dataclass(frozen=True)
class SinkType:
    """A registered sink scheme, what its ``--sink`` values may hold, and where it came from.

    ``target`` names what goes after ``scheme:`` (``PATH``), or is ``None`` for a sink that
    takes none. ``passthrough``, for a sink whose target is a URL with parameters of its own,
    says whether a query parameter the sink did not declare is one of those; it then reaches
    the sink as written, in ``SinkSpec.query``. ``delivery`` holds the sink's own delivery
    defaults (its factory's ``delivery_defaults``), converted."""

    scheme: str
    factory: SinkFactory
    description: str = ""
    options: dict[str, Option] = field(default_factory=dict)
    target: str | None = "TARGET"
    passthrough: Callable[[str], bool] | None = None
    plugin: str = ""
    distribution: str = ""
    delivery: dict[str, Any] = field(default_factory=dict)

    @property
    def usage(self) -> str:
        """How a ``--sink`` value for it starts: ``file:PATH``, ``stdout``."""
        return self.scheme if self.target is None else f"{self.scheme}:{self.target}"

    @property
    def origin(self) -> str:
        """Where the scheme comes from, for messages: ``plugin 'sqlite' (hotprobe-sqlite 1.0)``."""
        return f"plugin {self.plugin!r} ({self.distribution or 'unknown distribution'})"
