"""Twin of examples/rate_limit_demo.cpp: a fetcher limited to 3 requests in flight by a
Semaphore. `--virtual-time` runs it on the virtual clock of tests/conformance/vtloop.py."""
import asyncio
import os
import sys

LATENCY = [0.31, 0.12, 0.45, 0.07, 0.27, 0.19, 0.38, 0.11, 0.23, 0.05, 0.33, 0.16]
t0 = 0.0
in_flight = 0
peak = 0


def now():
    return asyncio.get_running_loop().time() - t0


async def fetch(sem, i):
    global in_flight, peak
    async with sem:
        in_flight += 1
        peak = max(peak, in_flight)
        print(f"[{now():.2f}] GET /item/{i} (in flight: {in_flight})")
        await asyncio.sleep(LATENCY[i])
        in_flight -= 1
        print(f"[{now():.2f}] /item/{i} -> 200")
        return f"item-{i}"


async def amain():
    global t0
    t0 = asyncio.get_running_loop().time()
    sem = asyncio.Semaphore(3)
    bodies = await asyncio.gather(*(fetch(sem, i) for i in range(12)))
    print(f"[{now():.2f}] fetched {len(bodies)} items, first {bodies[0]}, last {bodies[-1]}, "
          f"peak concurrency {peak}")


if __name__ == "__main__":
    if sys.argv[1:] == ["--virtual-time"]:
        sys.path.insert(0, os.path.join(os.path.dirname(__file__), "../../tests/conformance"))
        from vtloop import run
        run(amain())
    else:
        asyncio.run(amain())
