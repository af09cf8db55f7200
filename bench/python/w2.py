"""W2: gather(gather(g1), gather(g2), gather(g3)), N tasks split in thirds, each sleeping
uniform [0, 10 ms) on the real clock. Figures: ms beyond the 10 ms floor, peak RSS.
Twin of bench/w2.cpp."""
import asyncio

from common import durations_us, main, now_ns


async def sleeper_us(d_us):
    await asyncio.sleep(d_us / 1e6)
    return d_us


async def w2(n, seed, variant, out):
    d = durations_us(n, 10_000, seed)
    a, b = n // 3, 2 * n // 3
    t0 = now_ns()
    res = await asyncio.gather(*[asyncio.gather(*[sleeper_us(x) for x in g])
                                 for g in (d[:a], d[a:b], d[b:])])
    t1 = now_ns()
    assert res[0] + res[1] + res[2] == d
    wall_ms = (t1 - t0) / 1e6
    out.update(value=wall_ms - 10.0, wall_ms=wall_ms, max_sleep_ms=max(d) / 1e3)


if __name__ == "__main__":
    main("W2", "ms_beyond_10ms", w2, 100_000)
