# wait_for races (gh-86296, bpo-23219): the caller's cancellation is never lost, even when
# the awaited work completes in the same iteration; cancelling the caller cancels the
# awaited task; a result delivered by call_soon before the deadline is returned.
import asyncio

from vtloop import Ticker, run


async def inner():
    return "done"


async def blocking():
    fut = asyncio.get_running_loop().create_future()
    try:
        await fut
    except asyncio.CancelledError:
        print("blocking: cancelled")
        raise


async def main():
    loop = asyncio.get_running_loop()
    T = Ticker(loop)

    # A: gh-86296 -- the inner task completes in the iteration in which the caller is
    # cancelled: 3.12+ delivers the cancellation
    for timeout in (100, None):
        inner_task = asyncio.create_task(inner())
        reached = []

        async def wait_for_coro():
            r = await asyncio.wait_for(inner_task, timeout=timeout)
            reached.append(f"after wait_for ({r})")
            await asyncio.sleep(1)
            reached.append("end")

        task = asyncio.create_task(wait_for_coro())
        await asyncio.sleep(0)
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            print(f"A[{timeout}]: caller cancelled, inner done={inner_task.done()} "
                  f"result={inner_task.result()} reached={reached} @{T.n}")

    # B: bpo-23219 -- cancelling the wait cancels the task it waits for
    for timeout in (60.0, None):
        task = asyncio.create_task(blocking())
        wait = asyncio.create_task(asyncio.wait_for(task, timeout))
        loop.call_soon(wait.cancel)
        try:
            await wait
        except asyncio.CancelledError:
            print(f"B[{timeout}]: wait cancelled, task cancelled={task.cancelled()} @{T.n}")

    # C: the future is completed by call_soon before the deadline
    fut = loop.create_future()
    waiting = asyncio.wait_for(fut, timeout=0.2)
    loop.call_soon(fut.set_result, "ok")
    print(f"C: {await waiting} at {loop.time()} @{T.n}")

    # D: the caller is cancelled while the inline coroutine's future is being completed
    fut = loop.create_future()

    async def on_future():
        return await fut

    w = asyncio.create_task(asyncio.wait_for(on_future(), 10))
    await asyncio.sleep(0)
    fut.set_result("late")
    w.cancel()
    try:
        print(f"D: returned {await w}")
    except asyncio.CancelledError:
        print(f"D: caller cancelled={w.cancelled()} fut result={fut.result()} @{T.n}")

    # E: the result and the deadline fall in the same iteration (their timers are a
    # fraction of the clock resolution apart): the expiry still cancels the caller, which
    # wins over the already-completed future (3.12+); with the result one iteration
    # earlier, the result is returned
    T.stop()
    for label, offset in (("same iteration", -1e-9 / 4), ("one iteration earlier", -0.125)):
        fut = loop.create_future()
        start = loop.time()
        loop.call_at(start + 0.5 + offset, lambda f=fut: f.done() or f.set_result("value"))
        try:
            r = await asyncio.wait_for(fut, 0.5)
            print(f"E[{label}]: result {r} at {loop.time()}")
        except TimeoutError:
            print(f"E[{label}]: TimeoutError at {loop.time()}, fut result={fut.result()}")

run(main())
