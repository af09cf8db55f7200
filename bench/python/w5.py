"""W5: N tasks suspended in sleep(1) at once. Figure: bytes of RSS per task, from
/proc/self/statm before creating them and after one loop iteration.
Twin of bench/w5.cpp."""
import asyncio

from common import current_rss_bytes, main, now_ns


async def w5(n, seed, variant, out):
    rss0 = current_rss_bytes()
    t0 = now_ns()
    tasks = [asyncio.ensure_future(asyncio.sleep(1.0)) for _ in range(n)]
    g = asyncio.gather(*tasks)
    await asyncio.sleep(0)  # every task is now suspended in sleep(1)
    t_spawned = now_ns()
    rss1 = current_rss_bytes()
    await g
    t1 = now_ns()
    out.update(value=(rss1 - rss0) / n, rss_during_mib=rss1 / 2**20, rss_base_mib=rss0 / 2**20,
               spawn_ms=(t_spawned - t0) / 1e6, total_ms=(t1 - t0) / 1e6)


if __name__ == "__main__":
    main("W5", "bytes_per_task", w5, 1_000_000)
