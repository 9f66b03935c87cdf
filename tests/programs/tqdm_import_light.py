"""Prints, as JSON, the tqdm modules that ``import probe`` loads: none."""

import json
import sys

import probe  # noqa: F401

print(json.dumps(sorted(name for name in sys.modules if name.startswith("tqdm"))))
