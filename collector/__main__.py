"""``python -m collector`` is ``hotprobe collect``."""

import sys

from collector.cli import main

sys.exit(main(["collect", *sys.argv[1:]]))
