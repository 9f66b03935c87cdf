"""``-p hotprobe_patch``: tqdm's suite with ``probe.patch_tqdm()`` in force from the start."""

import probe

probe.patch_tqdm()
