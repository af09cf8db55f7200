# TaskGroup and a cancellation from outside (R56-R58, test_cancellation, test_taskgroup_15,
# _17, _18, _22, test_error_and_cancel): the children are cancelled, the exit waits for
# them, then CancelledError -- unless some child failed, in which case the ExceptionGroup
# wins and the parent stays cancelled (3.13 re-cancels it). Children that react to their
# cancellation only count it: their order differs (CPython: set order).
import asyncio

from vtloop import msg, run


def fmt(eg):
    return "EG[" + ", ".join(f"{type(e).__name__}({msg(e)})" for e in eg.exceptions) + "]"


async def main():
    loop = asyncio.get_running_loop()
    counter = {"n": 0}

    async def counted(delay):
        try:
            await asyncio.sleep(delay)
        except asyncio.CancelledError:
            counter["n"] += 1
            raise

    async def start_and_cancel(label, runner, at):
        r = asyncio.create_task(runner())
        await asyncio.sleep(at)
        print(f"{label}: cancel at {loop.time()} -> {r.cancel()}")
        try:
            await r
            print(f"{label}: returned normally")
        except asyncio.CancelledError:
            print(f"{label}: CancelledError at {loop.time()} cancelled={r.cancelled()}")
        except ExceptionGroup as eg:
            print(f"{label}: {fmt(eg)} at {loop.time()} cancelled={r.cancelled()}")
        return r

    # A: five children and the body see the cancel (test_cancellation, _07)
    async def runner_a():
        async with asyncio.TaskGroup() as g:
            for i in range(5):
                g.create_task(counted(5 + i))
            try:
                await asyncio.sleep(10)
            except asyncio.CancelledError:
                print(f"  body: cancelled, children cancelled so far: {counter['n']}")
                raise

    await start_and_cancel("A", runner_a, 0.125)
    print(f"A: children cancelled: {counter['n']}")

    # B: no children (test_taskgroup_17); the body turns the cancel into MyExc (_18)
    async def runner_b():
        async with asyncio.TaskGroup():
            await asyncio.sleep(10)

    await start_and_cancel("B", runner_b, 0.125)

    class MyExc(Exception):
        pass

    async def runner_b2():
        async with asyncio.TaskGroup():
            try:
                await asyncio.sleep(10)
            except asyncio.CancelledError:
                raise MyExc("converted")

    await start_and_cancel("B2", runner_b2, 0.125)

    # C: a child fails while the body handles the outside cancel: errors win (test_15)
    async def crash_soon():
        await asyncio.sleep(0.375)
        raise ZeroDivisionError("soon")

    async def runner_c():
        async with asyncio.TaskGroup() as g:
            g.create_task(crash_soon())
            try:
                await asyncio.sleep(10)
            except asyncio.CancelledError:
                print(f"  body: cancelled at {loop.time()}, slow cleanup")
                await asyncio.sleep(0.5)
                print("  body: cleanup finished (not reached)")
                raise

    await start_and_cancel("C", runner_c, 0.125)

    # D: an outside cancel while the exit waits: children cancelled, CancelledError (_22)
    async def runner_d():
        async with asyncio.TaskGroup() as g:
            g.create_task(counted(1))
            g.create_task(asyncio.sleep(2))

    counter["n"] = 0
    await start_and_cancel("D", runner_d, 0.0625)
    print(f"D: counted children cancelled: {counter['n']}")

    # E: children failing during the outside cancel -> ExceptionGroup (test_taskgroup_08)
    async def fails_in_cleanup():
        try:
            await asyncio.sleep(10)
        finally:
            raise KeyError("cleanup")

    async def runner_e():
        async with asyncio.TaskGroup() as g:
            g.create_task(fails_in_cleanup())
            await asyncio.sleep(10)

    await start_and_cancel("E", runner_e, 0.125)

    # F: error and outside cancel: the parent stays cancelled (test_error_and_cancel)
    event = loop.create_future()

    async def raise_error():
        event.set_result(None)
        await asyncio.sleep(0)
        raise RuntimeError("child")

    async def inner():
        try:
            async with asyncio.TaskGroup() as tg:
                tg.create_task(raise_error())
                await asyncio.sleep(1)
        except* RuntimeError as eg:
            print(f"  inner: {fmt(eg)} cancelling={asyncio.current_task().cancelling()}")
        try:
            await asyncio.sleep(1)
            print("  inner: not cancelled (wrong)")
        except asyncio.CancelledError:
            print(f"  inner: next await cancelled at {loop.time()}")
            raise

    t = asyncio.create_task(inner())
    await event
    print(f"F: cancelling before={t.cancelling()} cancel -> {t.cancel()} after={t.cancelling()}")
    try:
        await t
    except asyncio.CancelledError:
        print(f"F: cancelled={t.cancelled()}")

    # G: two outside cancels while the exit waits for a slow child
    async def slow_child():
        try:
            await asyncio.sleep(1)
        except asyncio.CancelledError:
            print(f"  slow_child: cancelled at {loop.time()}, cleaning up")
            await asyncio.sleep(0.25)
            print(f"  slow_child: cleanup done at {loop.time()}")
            raise

    async def runner_g():
        async with asyncio.TaskGroup() as g:
            g.create_task(slow_child())

    r = asyncio.create_task(runner_g())
    await asyncio.sleep(0.125)
    r.cancel()
    await asyncio.sleep(0.125)
    print(f"G: second cancel -> {r.cancel()} cancelling={r.cancelling()}")
    try:
        await r
    except asyncio.CancelledError:
        print(f"G: CancelledError at {loop.time()} cancelled={r.cancelled()}")


run(main())
