"""W3: N tasks sleeping uniform [0, 50 ms); `while pending: done, pending =
wait(pending, FIRST_COMPLETED)`. Figure: total ms. Twin of bench/w3.cpp."""
import asyncio

from common import durations_us, main, now_ns


async def sleeper_us(d_us):
    await asyncio.sleep(d_us / 1e6)
    return d_us


async def w3(n, seed, variant, out):
    d = durations_us(n, 50_000, seed)
    t0 = now_ns()
    pending = {asyncio.ensure_future(sleeper_us(x)) for x in d}
    iters = scanned = ndone = 0
    while pending:
        scanned += len(pending)
        done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
        ndone += len(done)
        iters += 1
    t1 = now_ns()
    assert ndone == n
    out.update(value=(t1 - t0) / 1e6, iters=iters, scanned=scanned)


if __name__ == "__main__":
    main("W3", "total_ms", w3, 1000)
