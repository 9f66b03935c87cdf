"""The ``hotprobe`` command as it runs where matplotlib is not installed."""

import sys

sys.modules["matplotlib"] = None  # what a missing package looks like to an import

from collector.cli import main  # noqa: E402  (after matplotlib is made missing)

sys.exit(main(sys.argv[1:]))
