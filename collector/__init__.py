"""hotprobe's collector: receive probe events, keep one per stream per interval, deliver them.

Plugin authors need three names from here: ``hookimpl``, ``Sink`` and ``SinkSpec``.
"""

from collector.hookspecs import hookimpl
from collector.sinks import Sink, SinkSpec

__all__ = ["Sink", "SinkSpec", "hookimpl"]
