"""W1: one coroutine gathers N trivial coroutines returning their index; results checked.
Figure: ns per task. Twin of bench/w1.cpp."""
import asyncio

from common import main, now_ns


async def trivial(i):
    return i


async def w1(n, seed, variant, out):
    t0 = now_ns()
    res = await asyncio.gather(*[trivial(i) for i in range(n)])
    t1 = now_ns()
    assert res == list(range(n))
    out.update(value=(t1 - t0) / n, total_ms=(t1 - t0) / 1e6)


if __name__ == "__main__":
    main("W1", "ns_per_task", w1, 100_000)
