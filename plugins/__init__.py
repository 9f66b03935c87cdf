"""hotprobe's built-in sinks, each a pluggy plugin registered exactly as a third-party one."""
