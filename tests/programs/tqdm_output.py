"""What tqdm draws, as plain tqdm, probe.tqdm and patched tqdm: printed as JSON to compare."""

import io
import json
import pickle

import tqdm as tqdm_module
from tqdm import tqdm

import probe

FORMAT = "{desc}{percentage:3.0f}%|{bar}| {n_fmt}/{total_fmt}{postfix}"


def scenario(cls):
    file = io.StringIO()
    options = dict(file=file, bar_format=FORMAT, mininterval=0, ncols=60)
    for _ in cls(range(3), desc="outer", **options):
        for _ in cls(range(4), desc="inner", leave=False, **options):
            pass
    with cls(total=5, desc="manual", position=1, **options) as bar:
        for i in range(5):
            bar.update()
            bar.set_postfix(loss=1 / (i + 1))
            cls.write(f"line {i}", file=file)
    bar = cls(total=2, desc="reset", **options)
    bar.update(2)
    bar.reset(total=3)
    bar.update(3)
    bar.set_description("renamed")
    bar.close()
    for _ in cls(range(3), disable=True, **options):
        pass
    for _ in cls(range(2), leave=None, **options):
        pass
    try:
        pickle.dumps(cls(range(1), **options))
        pickling = "pickled"
    except Exception as exc:
        pickling = type(exc).__name__
    return {
        "output": file.getvalue(),
        "class_pickles": pickle.loads(pickle.dumps(cls)) is cls,
        "bar_pickling": pickling,
        "instances_left": len(getattr(tqdm_module.tqdm, "_instances", ())),
    }


results = {"plain": scenario(tqdm), "probe.tqdm": scenario(probe.tqdm)}
probe.patch_tqdm()
results["patched"] = scenario(tqdm)
print(json.dumps(results))
