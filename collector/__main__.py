"""``python -m collector`` is ``hotprobe collect``.

``python -m`` puts the current directory first on ``sys.path``. It is taken off again (unless
hotprobe itself lives there), so that no package of the user's in the directory where the
collector is started (``plugins``, ``probe``, or one hotprobe depends on) is imported in place
of the one meant.
"""

import os
import sys

if sys.path and sys.path[0]:
    started_in = os.path.realpath(sys.path[0])
    hotprobe_root = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))
    if started_in == os.path.realpath(os.getcwd()) != hotprobe_root:
        del sys.path[0]

from collector.cli import main

sys.exit(main(["collect", *sys.argv[1:]]))
