"""Errors inside a tracked function, a ``progress`` block and an iterated generator; each is
caught here unchanged."""

import probe


class Boom(Exception):
    pass


@probe.track("flaky")
def flaky(x):
    if x == 3:
        raise Boom("x was 3")
    return x


for i in range(5):
    try:
        flaky(i)
    except Boom as exc:
        assert str(exc) == "x was 3"

try:
    with probe.progress("ctx") as p:
        p.update()
        raise KeyError("missing")
except KeyError:
    pass


def broken():
    yield 1
    raise ValueError("bad item")


try:
    for _ in probe.iterate(broken(), "gen"):
        pass
except ValueError:
    pass
