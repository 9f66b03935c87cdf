"""``probe.tqdm`` where a ``tqdm.tqdm`` is expected: a subclass, tqdm's signature, trange."""

import inspect

from tqdm import tqdm

import probe

assert issubclass(probe.tqdm, tqdm)
assert {"desc", "total", "mininterval"} <= set(inspect.signature(probe.tqdm).parameters)
bar = probe.trange(3, disable=True)
assert isinstance(bar, tqdm) and list(bar) == [0, 1, 2]
print("ok")
