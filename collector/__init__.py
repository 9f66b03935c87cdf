"""hotprobe's collector: receive probe events, keep one per stream per interval, deliver them.

Plugin authors need these names from here: ``hookimpl``, ``Sink`` and ``SinkSpec``; ``Refused``
for a sink that knows which events its store refuses; ``event_id`` and ``IDENTITY_FIELDS`` for
a store that can deduplicate.
"""

from collector.hookspecs import hookimpl
from collector.identity import IDENTITY_FIELDS, event_id
from collector.sinks import Refused, Sink, SinkSpec

__all__ = ["IDENTITY_FIELDS", "Refused", "Sink", "SinkSpec", "event_id", "hookimpl"]
