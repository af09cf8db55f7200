"""W3s: strict drain. Task i awaits its own gate future; each round opens one gate (in a
seeded random order) and calls wait(pending, FIRST_COMPLETED) with the pending set the
previous call returned: exactly one completion per call. Figure: total ms.
Twin of bench/w3s.cpp."""
import asyncio
import time

from common import main, now_ns, permutation


async def w3s(n, seed, variant, out):
    loop = asyncio.get_running_loop()
    order = permutation(n, seed)
    gates = [loop.create_future() for _ in range(n)]

    async def gated(i):
        return await gates[i]

    t0, c0 = now_ns(), time.process_time_ns()
    pending = [asyncio.ensure_future(gated(i)) for i in range(n)]
    await asyncio.sleep(0)  # every task starts and parks on its gate
    scanned = 0
    for g in order:
        gates[g].set_result(g)
        scanned += len(pending)
        done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
        assert len(done) == 1 and next(iter(done)).result() == g
    t1, c1 = now_ns(), time.process_time_ns()
    assert not pending
    out.update(value=(t1 - t0) / 1e6, cpu_ms=(c1 - c0) / 1e6, iters=n, scanned=scanned)


if __name__ == "__main__":
    main("W3s", "total_ms", w3s, 1000)
