# Zero and past deadlines (gh-95051): timeout(0) / timeout(-x) arm a call_soon, so the
# scope expires at the next await, even sleep(0), one iteration later; a body that never
# suspends finishes before the handler runs and does not expire. wait_for(coro, 0) never
# starts the coroutine.
import asyncio

from vtloop import Ticker, run


async def immediate(v):
    return v


async def main():
    loop = asyncio.get_running_loop()
    T = Ticker(loop)

    for delay, body in ((0, "sleep(10)"), (0, "sleep(0)"), (-11, "sleep(0)"),
                        (0, "two sleep(0)"), (0, "immediate()")):
        n0 = T.n
        steps = []
        try:
            async with asyncio.timeout(delay) as cm:
                if body == "sleep(10)":
                    await asyncio.sleep(10)
                elif body == "sleep(0)":
                    await asyncio.sleep(0)
                    steps.append("after sleep(0)")
                elif body == "two sleep(0)":
                    try:
                        await asyncio.sleep(0)
                    except asyncio.CancelledError:
                        steps.append("first sleep(0) cancelled")
                    await asyncio.sleep(0)
                    steps.append("second sleep(0) done")
                else:
                    steps.append(f"immediate -> {await immediate(3)}")
            result = "no error"
        except TimeoutError:
            result = "TimeoutError"
        print(f"timeout({delay}) {body}: {result} expired={cm.expired()} when={cm.when()} "
              f"steps={steps} @{T.n - n0} t={loop.time()}")

    # the cancelled handler of a scope that did not expire never fires later
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    print(f"cancelling={asyncio.current_task().cancelling()} @{T.n}")

    # timeout(0) around a task: the task is cancelled (the task itself, through the await)
    async def child():
        try:
            await asyncio.sleep(1)
        except asyncio.CancelledError:
            print(f"child: cancelled @{T.n}")
            raise

    t = asyncio.create_task(child())
    try:
        async with asyncio.timeout(0):
            await t
    except TimeoutError:
        print(f"task: TimeoutError child cancelled={t.cancelled()} @{T.n}")

    # wait_for with timeout 0 / negative
    started = []

    async def never():
        started.append(1)

    for timeout in (0, -1):
        n0 = T.n
        try:
            await asyncio.wait_for(never(), timeout)
        except TimeoutError:
            print(f"wait_for(coro, {timeout}): TimeoutError started={started} @{T.n - n0}")
    f = loop.create_future()
    loop.call_soon(lambda: f.done() or f.set_result("soon"))
    n0 = T.n
    try:
        await asyncio.wait_for(f, 0)
    except TimeoutError:
        print(f"wait_for(pending future, 0): TimeoutError cancelled={f.cancelled()} @{T.n - n0}")
    T.stop()


run(main())
