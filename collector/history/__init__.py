"""Past runs read back from the stores the sinks wrote: ``hotprobe runs`` and ``hotprobe show``.

``read`` streams events from JSON-lines files or MongoDB, ``summary`` folds them into runs and
streams in one pass, ``commands`` prints them.
"""
