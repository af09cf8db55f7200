# asyncio.sleep (R29, R5, R2): sleep(0) and negative delays are exactly one iteration
# and let earlier callbacks run first; sleep(d, result); a task wakes one iteration after
# its timer; the virtual clock's arithmetic; cancelling a sleep drops its timer.
import asyncio

from vtloop import Ticker, msg, run

T = None


async def sleeper(name, d):
    await asyncio.sleep(d)
    print(f"  {name} woke t={asyncio.get_running_loop().time()}")
    return name


async def main():
    global T
    loop = asyncio.get_running_loop()
    T = Ticker(loop)
    # A: sleep(0) = one iteration; callbacks queued before it run first
    print(f"A @{T.n}")
    loop.call_soon(lambda: print(f"  callback queued before sleep(0) @{T.n}"))
    await asyncio.sleep(0)
    print(f"  after sleep(0) @{T.n}")
    await asyncio.sleep(-3)
    print(f"  after sleep(-3) @{T.n}")
    r = await asyncio.sleep(0, "zero-result")
    print(f"  sleep(0, result) -> {r!r} @{T.n}")
    for _ in range(5):
        await asyncio.sleep(0)
    print(f"  after 5 x sleep(0) @{T.n} t={loop.time()}")
    T.stop()
    # B: sleep with a result, and the clock's float arithmetic
    print("B")
    r = await asyncio.sleep(0.5, 1)
    print(f"  sleep(0.5, 1) -> {r} t={loop.time()}")
    for _ in range(3):
        await asyncio.sleep(0.1)
    print(f"  3 x sleep(0.1) t={loop.time()}")
    await asyncio.sleep(1e-10)
    print(f"  sleep(1e-10) t={loop.time()}")
    # C: a task wakes one iteration after its timer fires. A probe timer due within the
    # clock resolution of the sleep's deadline runs in the same iteration, after it.
    print("C")
    now = loop.time()

    def probe():
        print(f"  probe timer (same iteration as the sleep's timer) t={loop.time()}")
        loop.call_soon(lambda: print("  probe's call_soon (next iteration)"))

    loop.call_at(now + 1 + 1e-12, probe)
    await asyncio.sleep(1)
    print(f"  sleeper resumed t={loop.time()}")
    await asyncio.sleep(0)
    # D: concurrent sleepers wake in deadline order
    print("D")
    ts = [asyncio.create_task(sleeper(n, d)) for n, d in (("s0.3", 0.3), ("s0.1", 0.1), ("s0.2", 0.2))]
    for t in ts:
        await t
    print(f"  results {[t.result() for t in ts]}")
    # E: cancelling a sleep: the task sees CancelledError at once; its timer is dropped so
    # the clock does not jump to the old deadline
    print("E")
    start = loop.time()

    async def long_sleep():
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError as e:
            print(f"  long_sleep cancelled {msg(e)!r} after {loop.time() - start}")
            r = await asyncio.sleep(0.25, "second sleep")
            return r

    t = asyncio.create_task(long_sleep())
    await asyncio.sleep(1)
    t.cancel("wake up")
    print(f"  long_sleep -> {await t!r} after {loop.time() - start}")
    await asyncio.sleep(0.5)
    print(f"  main after {loop.time() - start}")
    # F: a delay over the 24 h select cap takes two jumps of the clock
    print("F")
    start = loop.time()
    await asyncio.sleep(2 * 86400 + 0.5)
    print(f"  slept {loop.time() - start} t={loop.time()}")
    # G: create_task(sleep(...)) is a task like any other
    print("G")
    t = asyncio.create_task(asyncio.sleep(0.75, "from task"))
    print(f"  task -> {await t!r} done={t.done()}")
    # H: NaN is refused
    print("H")
    try:
        await asyncio.sleep(float("nan"))
    except ValueError as e:
        print(f"  ValueError({msg(e)!r})")


run(main())
