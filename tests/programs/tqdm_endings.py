"""Bars that end every way: normally, by break, by an exception known or not, never closed."""

import contextlib
import io

import probe


def quiet(*args, **kwargs):
    return probe.tqdm(*args, file=io.StringIO(), **kwargs)


def failing():
    yield 1
    yield 2
    raise KeyError("disk gone")


try:
    for _ in quiet(failing(), desc="iterable-raises"):
        pass
except KeyError:
    pass

try:
    with quiet(range(10), desc="with-loop-raises") as bar:
        for i in bar:
            if i == 4:
                raise ValueError("diverged")
except ValueError:
    pass

try:
    with quiet(total=10, desc="with-manual-raises") as bar:
        bar.update(7)
        raise RuntimeError("out of memory")
except RuntimeError:
    pass


def closes_in_finally():
    bar = quiet(total=10, desc="finally-close")
    try:
        bar.update(2)
        raise ZeroDivisionError("half done")
    finally:
        bar.close()


with contextlib.suppress(ZeroDivisionError):
    closes_in_finally()

with quiet(range(10), desc="with-loop-break") as bar:
    for i in bar:
        if i == 3:
            break

for i in quiet(range(10), desc="loop-break"):
    if i == 3:
        break

try:
    for i in quiet(range(10), desc="body-raises"):
        if i == 5:
            raise ValueError("in the body")
except ValueError:
    pass

try:
    {}["missing"]
except KeyError:
    for _ in quiet(range(4), desc="inside-except"):
        pass
    with quiet(total=2, desc="with-inside-except") as bar:
        bar.update(2)

bar = quiet(total=8, desc="never-closed")
bar.update(5)
kept_open = bar  # still referenced at exit: its stream ends with its last count
