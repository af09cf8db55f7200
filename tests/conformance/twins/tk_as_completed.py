# as_completed (R51-R53, 3.13): completion order through `async for` (the original tasks)
# and plain iteration (awaitables of the results); a timeout raises TimeoutError and
# cancels nothing; the iterator resumes after `break`; failures; iteration counts.
import asyncio

from vtloop import Ticker, run


async def job(name, delay, fail=False):
    await asyncio.sleep(delay)
    if fail:
        raise ValueError(name)
    return name


async def immediate(v):
    return v


async def main():
    loop = asyncio.get_running_loop()

    # A: async for yields the original tasks in completion order
    tasks = [asyncio.create_task(job(n, d)) for n, d in (("a", 0.5), ("b", 0.125), ("c", 0.25))]
    async for t in asyncio.as_completed(tasks):
        print(f"A: {t.result()} at {loop.time()} original={any(t is x for x in tasks)}")

    # B: plain iteration: awaitables of the results, in completion order
    for aw in asyncio.as_completed([job("x", 0.375), job("y", 0.0625), job("z", 0.25)]):
        print(f"B: {await aw} at {loop.time()}")

    # C: timeout with async for: TimeoutError from the loop; nothing cancelled
    slow = asyncio.create_task(job("slow", 1))
    fast = asyncio.create_task(job("fast", 0.125))
    try:
        async for t in asyncio.as_completed([slow, fast], timeout=0.5):
            print(f"C: {t.result()} at {loop.time()}")
    except TimeoutError:
        print(f"C: TimeoutError at {loop.time()} slow done={slow.done()} cancelled={slow.cancelled()}")
    print(f"C: slow finishes anyway: {await slow} at {loop.time()}")

    # D: timeout with plain iteration: each remaining awaitable raises TimeoutError
    a = asyncio.create_task(job("d1", 0.125))
    b = asyncio.create_task(job("d2", 2))
    c = asyncio.create_task(job("d3", 3))
    for aw in asyncio.as_completed([a, b, c], timeout=0.25):
        try:
            print(f"D: {await aw} at {loop.time()}")
        except TimeoutError:
            print(f"D: TimeoutError at {loop.time()}")
    b.cancel()
    c.cancel()

    # E: resume after break, both styles
    it = asyncio.as_completed([job(f"e{i}", 0.0625 * (4 - i)) for i in range(4)])
    async for t in it:
        print(f"E: first {t.result()}")
        break
    async for t in it:
        print(f"E: then {t.result()}")
    it = asyncio.as_completed([job(f"e{i}", 0.0625 * (i + 1)) for i in range(4)])
    for aw in it:
        print(f"E: plain first {await aw}")
        break
    for aw in it:
        print(f"E: plain then {await aw}")

    # F: failures: yielded as failed tasks by async for, raised by plain iteration
    fs = [asyncio.create_task(job("ok", 0.25)), asyncio.create_task(job("bad", 0.125, True))]
    async for t in asyncio.as_completed(fs):
        print(f"F: async for got {'exception ' + repr(t.exception()) if t.exception() else t.result()}")
    for aw in asyncio.as_completed([job("ok2", 0.25), job("bad2", 0.125, True)]):
        try:
            print(f"F: plain got {await aw}")
        except ValueError as e:
            print(f"F: plain raised ValueError('{e}')")

    # G: duplicates collapse; iterations for immediate coroutines
    t = asyncio.create_task(job("dup", 0.125))
    print(f"G: {[x.result() async for x in asyncio.as_completed([t, t, t])]}")
    T = Ticker(loop)
    seen = []
    async for x in asyncio.as_completed([immediate(1), immediate(2), immediate(3)]):
        seen.append(f"{x.result()}@{T.n}")
    T.stop()
    print(f"G: immediate {sorted(seen)}")


run(main())
