"""``awkward_data.py`` where orjson cannot be imported, as on a free-threaded CPython: the
probe writes its events with the standard library's json."""

import runpy
import sys
from pathlib import Path

sys.modules["orjson"] = None  # ``import orjson`` now raises ImportError
runpy.run_path(str(Path(__file__).with_name("awkward_data.py")), run_name="__main__")
