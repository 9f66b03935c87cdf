"""``@probe.track`` on every kind of callable: same behaviour, same metadata, counted units."""

from __future__ import annotations

import asyncio
import functools
import inspect

import pytest

import probe
from collector.pipeline.endpoints import free_tcp_endpoint
from tests.helpers import read_jsonl, run_program, wait_for


@pytest.fixture(scope="module", autouse=True)
def nowhere():
    """Point this process's probe at a port nobody listens on."""
    probe.configure(endpoint=free_tcp_endpoint())


def units(func) -> int:
    return func.__hotprobe_stream__.n


def test_plain_function_keeps_metadata_signature_and_counts_calls():
    def scale(x: float, factor: float = 2.0, /, shift: float = 0.0) -> float:
        """Scale then shift."""
        return x * factor + shift

    tracked = probe.track(scale)
    assert tracked.__name__ == "scale" and tracked.__doc__ == "Scale then shift."
    assert tracked.__wrapped__ is scale
    assert inspect.signature(tracked) == inspect.signature(scale)
    assert tracked.__code__.co_argcount == 3  # the exact wrapper, not (*args, **kwargs)
    assert [tracked(1), tracked(1, 3), tracked(1, 3, 1), tracked(1, shift=5)] == [2, 3, 4, 7]
    with pytest.raises(TypeError):
        tracked(1, factor=3)  # positional-only stays positional-only
    assert units(tracked) == 4


def test_default_objects_are_passed_through_unchanged():
    sentinel: list = []

    @probe.track
    def append(item, into=sentinel):
        into.append(item)
        return into

    assert append(1) is sentinel and sentinel == [1]


def _keyword_only(x, *, key=1):
    return x + key


def _varkw(x, **extra):
    return x + len(extra)


@pytest.mark.parametrize(
    ("func", "args", "kwargs"),
    [
        (lambda *args: len(args), (1, 2, 3), {}),
        (_keyword_only, (1,), {"key": 5}),
        (_varkw, (1,), {"a": 1, "b": 2}),
        (functools.partial(lambda a, b: a + b, 1), (2,), {}),
        (len, ([1, 2],), {}),
    ],
    ids=["varargs", "keyword-only", "varkw", "partial", "builtin"],
)
def test_other_signatures_use_the_generic_wrapper_and_behave_the_same(func, args, kwargs):
    tracked = probe.track(name="generic")(func)
    assert tracked.__code__.co_flags & inspect.CO_VARARGS
    assert tracked(*args, **kwargs) == func(*args, **kwargs)
    assert units(tracked) == 1


def test_parameter_names_that_clash_with_the_wrapper_internals_still_work():
    @probe.track
    def f(_hotprobe_func, stream, exc, result):
        return (_hotprobe_func, stream, exc, result)

    assert f(1, 2, 3, 4) == (1, 2, 3, 4)


def test_methods_static_and_class_methods():
    class Model:
        @probe.track
        def step(self, x):
            return self, x

        @probe.track
        @staticmethod
        def helper(x):
            return x

        @probe.track
        @classmethod
        def build(cls, x):
            return cls, x

    model = Model()
    assert model.step(1) == (model, 1)
    assert Model.helper(2) == 2 and model.helper(3) == 3
    assert Model.build(4) == (Model, 4)
    assert units(Model.step) == 1
    assert units(Model.__dict__["helper"].__func__) == 2


def test_an_exception_is_reraised_unchanged_and_not_counted():
    error = ValueError("bad")

    @probe.track
    def fails(x):
        if x:
            raise error
        return x

    fails(0)
    with pytest.raises(ValueError) as caught:
        fails(1)
    assert caught.value is error
    assert units(fails) == 1


def test_generator_function_counts_items_and_forwards_send_throw_close():
    closed = []

    @probe.track
    def echo(n):
        """Echo what is sent."""
        try:
            received = None
            for i in range(n):
                try:
                    received = yield (i, received)
                except KeyError:
                    received = "recovered"
            return "done"
        finally:
            closed.append(True)

    assert inspect.isgeneratorfunction(echo) and echo.__doc__ == "Echo what is sent."
    assert inspect.signature(echo) == inspect.signature(echo.__wrapped__)
    assert list(echo(3)) == [(0, None), (1, None), (2, None)]
    gen = echo(5)
    assert next(gen) == (0, None)
    assert gen.send("hi") == (1, "hi")
    assert gen.throw(KeyError("k")) == (2, "recovered")
    gen.close()
    assert closed == [True, True]
    assert units(echo) == 6

    def result():
        return (yield from echo(1))

    runner = result()
    next(runner)
    with pytest.raises(StopIteration) as stop:
        next(runner)
    assert stop.value.value == "done"


def test_async_function_counts_completed_calls():
    @probe.track
    async def fetch(x, delay=0.0):
        await asyncio.sleep(delay)
        if x < 0:
            raise ValueError(x)
        return x * 2

    assert inspect.iscoroutinefunction(fetch)
    assert inspect.signature(fetch) == inspect.signature(fetch.__wrapped__)

    async def main():
        results = await asyncio.gather(*(fetch(i, 0.001) for i in range(5)))
        with pytest.raises(ValueError):
            await fetch(-1)
        return results

    assert asyncio.run(main()) == [0, 2, 4, 6, 8]
    assert units(fetch) == 5


def test_async_generator_function_counts_items_and_forwards_asend_athrow_aclose():
    closed = []

    @probe.track
    async def ticks(n):
        try:
            received = None
            for i in range(n):
                try:
                    received = yield (i, received)
                except KeyError:
                    received = "recovered"
        finally:
            closed.append(True)

    assert inspect.isasyncgenfunction(ticks)
    assert inspect.signature(ticks) == inspect.signature(ticks.__wrapped__)

    async def main():
        collected = [item async for item in ticks(3)]
        gen = ticks(5)
        first = await gen.asend(None)
        second = await gen.asend("hi")
        third = await gen.athrow(KeyError("k"))
        await gen.aclose()
        return collected, [first, second, third]

    collected, driven = asyncio.run(main())
    assert collected == [(0, None), (1, None), (2, None)]
    assert driven == [(0, None), (1, "hi"), (2, "recovered")]
    assert closed == [True, True]
    assert units(ticks) == 6


def test_generator_async_and_method_streams_reach_the_collector(tmp_path, start_collector):
    out = tmp_path / "events.jsonl"
    collector = start_collector("--interval", "0", "--sink", f"file:{out}")
    result = run_program("tracked_kinds", endpoint=collector.endpoint)
    assert result.returncode == 0, result.stderr
    ends = lambda: {e["probe"]: e["n"] for e in read_jsonl(out) if e["event"] == "end"}  # noqa: E731
    assert wait_for(lambda: len(ends()) == 3), read_jsonl(out)
    assert ends() == {"gen": 50, "co": 30, "Model.step": 20}
    starts = {e["probe"] for e in read_jsonl(out) if e["event"] == "start"}
    assert starts == {"gen", "co", "Model.step"}
