"""W4: N tasks sleeping 1 h, gathered; once all are suspended, cancel the gather.
Figure: ns per cancelled task until the gather resolves. Twin of bench/w4.cpp."""
import asyncio

from common import main, now_ns


async def w4(n, seed, variant, out):
    tasks = [asyncio.ensure_future(asyncio.sleep(3600)) for _ in range(n)]
    g = asyncio.gather(*tasks)
    await asyncio.sleep(0)  # every task has started and holds a 1 h timer
    t0 = now_ns()
    g.cancel()
    try:
        await g
        raise AssertionError("gather was not cancelled")
    except asyncio.CancelledError:
        pass
    t1 = now_ns()
    assert all(t.cancelled() for t in tasks)
    out.update(value=(t1 - t0) / n, cancel_ms=(t1 - t0) / 1e6)


if __name__ == "__main__":
    main("W4", "ns_per_task", w4, 100_000)
