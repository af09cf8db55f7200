# wait_for (R46-R50, 3.12+ semantics): a timeout cancels the awaited work, waits for its
# cleanup, then raises TimeoutError (from the CancelledError); a coroutine runs inline in
# the caller's task; iteration counts of the common cases.
import asyncio

from vtloop import Ticker, run


async def worker(name, delay):
    loop = asyncio.get_running_loop()
    print(f"{name}: start at {loop.time()}")
    try:
        await asyncio.sleep(delay)
    except asyncio.CancelledError:
        print(f"{name}: cancelled at {loop.time()}")
        raise
    finally:
        print(f"{name}: finally")
    print(f"{name}: slept {delay}")
    return name


async def immediate(v):
    return v


async def main():
    loop = asyncio.get_running_loop()
    me = asyncio.current_task()

    # A: a task times out: cancelled, its cleanup ran, TimeoutError from CancelledError
    t = asyncio.create_task(worker("A", 10))
    try:
        await asyncio.wait_for(t, 0.5)
    except TimeoutError as e:
        print(f"A: TimeoutError at {loop.time()} cause={type(e.__cause__).__name__} "
              f"cancelled={t.cancelled()} cancelling={me.cancelling()}")

    # B: a coroutine times out (it runs inline in this task)
    try:
        await asyncio.wait_for(worker("B", 10), 0.25)
    except TimeoutError as e:
        print(f"B: TimeoutError at {loop.time()} cancelling={me.cancelling()}")

    # C: finishes in time; D: no timeout at all
    r = await asyncio.wait_for(worker("C", 0.125), 1)
    print(f"C: result={r} at {loop.time()}")
    r = await asyncio.wait_for(worker("D", 0.375), None)
    print(f"D: result={r} at {loop.time()}")

    # E: iterations spent
    T = Ticker(loop)
    n0 = T.n
    await asyncio.wait_for(immediate(1), 10)
    print(f"E: immediate coroutine, timeout 10: {T.n - n0} iterations")
    n0 = T.n
    await asyncio.wait_for(immediate(2), None)
    print(f"E: immediate coroutine, no timeout: {T.n - n0} iterations")
    n0 = T.n
    await asyncio.wait_for(asyncio.create_task(immediate(3)), 10)
    print(f"E: fresh task, timeout 10: {T.n - n0} iterations")
    f = loop.create_future()
    f.set_result("done")
    n0 = T.n
    r = await asyncio.wait_for(f, 0)
    print(f"E: done future, timeout 0: {r} after {T.n - n0} iterations")
    started = []

    async def never_started():
        started.append(True)

    n0 = T.n
    try:
        await asyncio.wait_for(never_started(), 0)
    except TimeoutError as e:
        print(f"E: coroutine, timeout 0: TimeoutError after {T.n - n0} iterations, "
              f"started={bool(started)} cause={type(e.__cause__).__name__}")
    T.stop()

    # F: an exception before the deadline passes through untouched
    async def fail():
        await asyncio.sleep(0.0625)
        raise ValueError("bad input")

    try:
        await asyncio.wait_for(fail(), 1)
    except ValueError as e:
        print(f"F: ValueError('{e}') at {loop.time()}")

    # G: a negative timeout on a running task cancels it
    t = asyncio.create_task(worker("G", 5))
    await asyncio.sleep(0)
    try:
        await asyncio.wait_for(t, -1)
    except TimeoutError:
        print(f"G: TimeoutError at {loop.time()} cancelled={t.cancelled()}")


run(main())
