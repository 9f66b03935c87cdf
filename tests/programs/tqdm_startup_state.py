"""Prints, as JSON, whether probe or tqdm were loaded before the program imported tqdm (from
argv[1]: ``tqdm``, or ``probe`` for ``probe.tqdm``), and whether tqdm is patched once it has."""

import json
import sys

before = sorted(name for name in ("probe", "tqdm") if name in sys.modules)

if sys.argv[1] == "tqdm":
    import tqdm  # noqa: F401
else:
    import probe

    assert probe.tqdm  # tqdm's first import, from within probe._tqdm

import probe._tqdm as bridge  # noqa: E402 - after looking at what start-up loaded

print(json.dumps({"before_tqdm": before, "patched": bridge.is_patched()}))
