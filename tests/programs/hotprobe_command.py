"""The ``hotprobe`` command of this checkout, whatever copy is installed: argv as its words."""

import sys

from collector.cli import main

sys.exit(main(sys.argv[1:]))
