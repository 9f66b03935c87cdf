"""``@probe.track`` on a generator, a coroutine and a method."""

import asyncio

import probe


@probe.track
def gen(n):
    yield from range(n)


@probe.track
async def co(x):
    await asyncio.sleep(0)
    return x


class Model:
    @probe.track
    def step(self, x):
        return x


assert sum(gen(50)) == sum(range(50))


async def main():
    await asyncio.gather(*(co(i) for i in range(30)))


asyncio.run(main())
m = Model()
for i in range(20):
    m.step(i)
