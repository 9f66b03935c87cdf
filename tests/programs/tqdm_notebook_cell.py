"""A notebook cell: tqdm.auto bars, patched, in a Jupyter kernel; prints the bar's base module."""

from tqdm.auto import tqdm

import probe

probe.patch_tqdm()
for _ in tqdm(range(50), desc="notebook-bar"):
    pass
print(type(tqdm(disable=True)).__mro__[1].__module__)
