"""``probe.patch_tqdm()`` over every kind of tqdm bar: bars made before it and after
``probe.unpatch_tqdm()``, and disabled ones, must not arrive."""

import asyncio
import io
import warnings

import pandas as pd
import tqdm_library  # a library that imported tqdm.auto before the patch
from tqdm import tqdm as imported_before
from tqdm import trange

import probe


def quiet(cls, *args, **kwargs):
    return cls(*args, file=io.StringIO(), **kwargs)


async def asynchronous(atqdm) -> None:
    async def ticks():
        for i in range(6):
            await asyncio.sleep(0)
            yield i

    async for _ in quiet(atqdm, ticks(), total=6, desc="asyncio"):
        pass
    await atqdm.gather(*[asyncio.sleep(0) for _ in range(3)], desc="gather", file=io.StringIO())


for _ in quiet(imported_before, range(3), desc="off-before-patch"):
    pass
probe.patch_tqdm()
probe.patch_tqdm()  # twice is once

for _ in quiet(imported_before, range(30), desc="std"):
    pass
for _ in trange(4, desc="trange", file=io.StringIO()):
    pass

from tqdm.auto import tqdm as auto  # noqa: E402 - imported after the patch on purpose

for _ in quiet(auto, range(5), desc="auto"):
    pass

from tqdm.asyncio import tqdm as atqdm  # noqa: E402

asyncio.run(asynchronous(atqdm))
with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # tqdm.rich is experimental
    from tqdm.rich import tqdm as rtqdm

    for _ in rtqdm(range(7), desc="rich"):
        pass

from tqdm.contrib.concurrent import thread_map  # noqa: E402

thread_map(abs, range(9), desc="thread_map", file=io.StringIO(), max_workers=2)

from tqdm.std import tqdm as std  # noqa: E402

std.pandas(desc="pandas", file=io.StringIO())
pd.DataFrame({"x": range(11)}).progress_apply(lambda row: row.x * 2, axis=1)
tqdm_library.crunch(12)
for _ in quiet(imported_before, range(3), desc="disabled", disable=True):
    pass
probe.unpatch_tqdm()
for _ in quiet(imported_before, range(3), desc="off-after-unpatch"):
    pass
