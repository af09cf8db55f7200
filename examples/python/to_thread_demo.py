"""Twin of examples/to_thread_demo.cpp: blocking calls on the default thread pool while a
heartbeat keeps ticking (real clock, about half a second; the hash loop is shorter here,
Python being slower)."""
import asyncio
import time

t0 = 0.0


def now():
    return asyncio.get_running_loop().time() - t0


def crunch(n):
    h = 1469598103934665603
    for i in range(n):
        h = ((h ^ i) * 1099511628211) & 0xFFFFFFFFFFFFFFFF
    return h


def blocking_io(seconds):
    time.sleep(seconds)
    return "rows"


def flaky():
    raise RuntimeError("disk on fire")


async def heartbeat():
    i = 0
    while True:
        await asyncio.sleep(0.05)
        i += 1
        print(f"[{now():.2f}] tick {i}")


async def amain():
    global t0
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    beat = asyncio.create_task(heartbeat())
    hash_ = asyncio.create_task(asyncio.to_thread(crunch, 500_000))
    rows = loop.run_in_executor(None, blocking_io, 0.3)
    print(f"[{now():.2f}] started the blocking calls")
    fetched = await rows
    print(f"[{now():.2f}] {fetched} fetched")
    h = await hash_
    print(f"[{now():.2f}] hash {h:016x}")
    try:
        await asyncio.to_thread(flaky)
    except RuntimeError as e:
        print(f"[{now():.2f}] the worker failed: {e}")
    beat.cancel()
    await asyncio.gather(beat, return_exceptions=True)
    print(f"[{now():.2f}] done")


if __name__ == "__main__":
    asyncio.run(amain())
