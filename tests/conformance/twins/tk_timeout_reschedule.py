# Timeout.reschedule / when / expired and the RuntimeError guards (R59-R61,
# test_reschedule, test_timeout_{not_entered,finished,expired,expiring,double_enter}).
import asyncio

from vtloop import run


def guard(label, f):
    try:
        f()
        print(f"{label}: ok")
    except RuntimeError as e:
        print(f"{label}: RuntimeError({e})")


async def main():
    loop = asyncio.get_running_loop()

    # A: reschedule from another task, then disable, then cancel the task
    deadline1 = loop.time() + 10
    deadline2 = deadline1 + 20
    cm = asyncio.timeout_at(deadline1)
    print(f"A: created when={cm.when()} expired={cm.expired()}")
    guard("A: reschedule before entry", lambda: cm.reschedule(1))
    entered = loop.create_future()

    async def f():
        async with cm:
            entered.set_result(None)
            await asyncio.sleep(50)

    task = asyncio.create_task(f())
    await entered
    cm.reschedule(deadline2)
    print(f"A: rescheduled when={cm.when()}")
    cm.reschedule(None)
    print(f"A: disabled when={cm.when()}")
    await asyncio.sleep(40)
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        print(f"A: CancelledError at {loop.time()} expired={cm.expired()}")
    guard("A: reschedule after exit", lambda: cm.reschedule(1))

    # B: moving the deadline earlier and later from inside
    try:
        async with asyncio.timeout(10) as cm:
            cm.reschedule(loop.time() + 0.5)
            print(f"B: moved to {cm.when()}")
            await asyncio.sleep(0.25)
            cm.reschedule(cm.when() + 0.5)
            print(f"B: pushed to {cm.when()}")
            await asyncio.sleep(10)
    except TimeoutError:
        print(f"B: TimeoutError at {loop.time()} when={cm.when()}")
    guard("B: reschedule after expiry", lambda: cm.reschedule(None))

    # C: a deadline in the past fires at the next iteration
    try:
        async with asyncio.timeout(5) as cm:
            await asyncio.sleep(0.125)
            cm.reschedule(loop.time() - 100)
            print(f"C: rescheduled into the past: {cm.when()}")
            await asyncio.sleep(0)
            print("C: not reached")
    except TimeoutError:
        print(f"C: TimeoutError at {loop.time()}")

    # D: expiring: the body swallows the cancellation; reschedule refused; no error
    async with asyncio.timeout(0.25) as cm:
        try:
            await asyncio.sleep(1)
        except asyncio.CancelledError:
            print(f"D: body caught the cancel at {loop.time()} expired={cm.expired()}")
        guard("D: reschedule while expiring", lambda: cm.reschedule(loop.time() + 1))
    print(f"D: exited normally expired={cm.expired()} "
          f"cancelling={asyncio.current_task().cancelling()}")

    # E: entering twice
    cm = asyncio.timeout(1)
    async with cm:
        try:
            async with cm:
                pass
        except RuntimeError as e:
            print(f"E: RuntimeError({e})")
    try:
        async with cm:
            pass
    except RuntimeError as e:
        print(f"E: RuntimeError({e})")

    # F: disabled scopes never fire; a far deadline leaves nothing behind
    async with asyncio.timeout(None) as cm:
        await asyncio.sleep(100)
    print(f"F: when={cm.when()} expired={cm.expired()} at {loop.time()}")
    async with asyncio.timeout_at(loop.time() + 1000) as cm:
        await asyncio.sleep(1)
    await asyncio.sleep(2000)
    print(f"F: far deadline expired={cm.expired()} at {loop.time()}")


run(main())
