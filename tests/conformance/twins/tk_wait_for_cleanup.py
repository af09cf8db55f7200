# wait_for and the awaited work's reaction to its cancellation (R50, bpo-32751, gh-86296):
# slow cleanup delays the TimeoutError; a swallowed cancel returns the value; an exception
# raised during the cancellation replaces TimeoutError; a cancel-ignoring inner delays the
# caller's own cancellation (and wins: the caller is not cancelled).
import asyncio

from vtloop import run


async def slow_cleanup(name):
    loop = asyncio.get_running_loop()
    try:
        await asyncio.sleep(10)
    except asyncio.CancelledError:
        print(f"{name}: cancelled at {loop.time()}, cleaning up for 0.25")
        await asyncio.sleep(0.25)
        print(f"{name}: cleanup done at {loop.time()}")
        raise
    return "never"


async def swallow():
    loop = asyncio.get_running_loop()
    try:
        await asyncio.sleep(10)
    except asyncio.CancelledError:
        print(f"swallow: caught the cancel at {loop.time()}, returning 42")
        return 42
    return 0


async def crash_in_cleanup():
    try:
        await asyncio.sleep(10)
    finally:
        print("crash: raising KeyError in cleanup")
        raise KeyError("cleanup")


async def ignoring(loop, until):
    while loop.time() < until:
        try:
            await asyncio.sleep(until - loop.time())
        except asyncio.CancelledError:
            print(f"ignoring: cancel ignored at {loop.time()}")
    print(f"ignoring: exits at {loop.time()}")
    return "ignored"


async def main():
    loop = asyncio.get_running_loop()
    me = asyncio.current_task()

    # A: slow cleanup, as a task and inline
    t = asyncio.create_task(slow_cleanup("A-task"))
    try:
        await asyncio.wait_for(t, 0.5)
    except TimeoutError:
        print(f"A: TimeoutError at {loop.time()} (deadline 0.5) cancelled={t.cancelled()}")
    try:
        await asyncio.wait_for(slow_cleanup("A-inline"), 0.5)
    except TimeoutError:
        print(f"A: TimeoutError at {loop.time()} cancelling={me.cancelling()}")

    # B: the inner swallows the cancel
    r = await asyncio.wait_for(swallow(), 0.125)
    print(f"B: result={r} at {loop.time()} cancelling={me.cancelling()}")
    r = await asyncio.wait_for(asyncio.create_task(swallow()), 0.125)
    print(f"B: task result={r} at {loop.time()}")

    # C: an exception during the cancellation propagates instead of TimeoutError
    for label, aw in (("inline", crash_in_cleanup()),
                      ("task", asyncio.create_task(crash_in_cleanup()))):
        try:
            await asyncio.wait_for(aw, 0.0625)
        except KeyError as e:
            print(f"C: {label}: KeyError({e}) at {loop.time()} cancelling={me.cancelling()}")

    # D: the timeout fires but the inner ignores it and returns normally: no TimeoutError
    r = await asyncio.wait_for(ignoring(loop, loop.time() + 0.5), 0.25)
    print(f"D: result={r} at {loop.time()}")

    # E: the caller is cancelled while the inner ignores cancels; the caller waits for it,
    # and since the inner returns normally the caller's task is not cancelled either
    w = asyncio.create_task(asyncio.wait_for(ignoring(loop, loop.time() + 0.75), 2))
    await asyncio.sleep(0.125)
    print(f"E: cancel -> {w.cancel()}")
    done, _ = await asyncio.wait([w])
    print(f"E: at {loop.time()} cancelled={w.cancelled()} result={w.result()} "
          f"cancelling={w.cancelling()}")

    # F: the caller is cancelled while the inner cleans up slowly: CancelledError after it
    w = asyncio.create_task(asyncio.wait_for(slow_cleanup("F"), 5))
    await asyncio.sleep(0.125)
    w.cancel()
    try:
        await w
    except asyncio.CancelledError:
        print(f"F: caller cancelled at {loop.time()} cancelled={w.cancelled()}")


run(main())
