"""hotprobe's collector: receive probe events, keep one per stream per interval, deliver them.

Plugin authors need four names from here: ``hookimpl``, ``Sink``, ``SinkSpec`` and ``Option``
(converters for options are in ``collector.options``).
"""

from collector.hookspecs import hookimpl
from collector.options import Option
from collector.sinks import Sink, SinkSpec

__all__ = ["Option", "Sink", "SinkSpec", "hookimpl"]
