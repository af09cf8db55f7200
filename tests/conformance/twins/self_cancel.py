# Self-cancellation (R16, R23; CPython test_cancel_current_task, test_cancel_at_end,
# test_cancel_awaited_task): a task cancelling itself is hit at its next suspension; if
# it returns first it ends cancelled anyway ("cancel at end"), with its message kept.
import asyncio

from vtloop import Ticker, msg, run

T = None


async def report(name, t):
    try:
        r = await t
        print(f"  {name}: result {r!r} cancelled={t.cancelled()} @{T.n}")
    except asyncio.CancelledError as e:
        print(f"  {name}: CancelledError({msg(e)!r}) cancelled={t.cancelled()} @{T.n}")


async def main():
    global T
    loop = asyncio.get_running_loop()
    T = Ticker(loop)

    # A: cancel, then return: cancelled at end; every consumer sees the message
    async def cancel_then_return():
        print(f"  A: cancel -> {asyncio.current_task().cancel('me')}")
        return 12

    t = asyncio.create_task(cancel_then_return())
    await report("A", t)
    try:
        t.result()
    except asyncio.CancelledError as e:
        print(f"  A: result() again -> {msg(e)!r}")
    # B: cancel, then await a pending future: the future is cancelled as the task parks
    f = loop.create_future()

    async def cancel_then_await():
        asyncio.current_task().cancel("park")
        try:
            await f
        finally:
            print(f"  B: finally: f.cancelled()={f.cancelled()} @{T.n}")

    t = asyncio.create_task(cancel_then_await())
    await asyncio.sleep(0)
    print(f"  B: after the task's first step: f.cancelled()={f.cancelled()} @{T.n}")
    await report("B", t)

    # C: cancel, then sleep(0): the CancelledError comes at the next step
    async def cancel_then_yield():
        asyncio.current_task().cancel("yield")
        print(f"  C: still running after cancel @{T.n}")
        await asyncio.sleep(0)
        print("  C: not reached")

    await report("C", asyncio.create_task(cancel_then_yield()))

    # D: cancel, then sleep(5): the sleep is cancelled, the clock does not move
    async def cancel_then_sleep():
        asyncio.current_task().cancel()
        await asyncio.sleep(5)

    t0 = loop.time()
    await report("D", asyncio.create_task(cancel_then_sleep()))
    print(f"  D: clock moved {loop.time() - t0}")

    # E: cancel, then await a done future (no suspension), then return: cancelled at end
    done = loop.create_future()
    done.set_result("v")

    async def cancel_then_done_future():
        asyncio.current_task().cancel("end")
        v = await done
        print(f"  E: got {v!r} without suspending @{T.n}")
        return v

    await report("E", asyncio.create_task(cancel_then_done_future()))

    # F: cancel self inside try, catch at the next await, return a value: not cancelled
    async def cancel_and_catch():
        asyncio.current_task().cancel("caught")
        try:
            await asyncio.sleep(0)
        except asyncio.CancelledError as e:
            print(f"  F: caught {msg(e)!r} cancelling={asyncio.current_task().cancelling()} @{T.n}")
        return "kept going"

    await report("F", asyncio.create_task(cancel_and_catch()))

    # G: cancel self, then await another task: the request is forwarded to that task
    async def other():
        try:
            await asyncio.sleep(1)
        except asyncio.CancelledError as e:
            print(f"  G: other saw {msg(e)!r} @{T.n}")
            raise

    o = asyncio.create_task(other())

    async def cancel_then_await_task():
        asyncio.current_task().cancel("fwd")
        await o

    await report("G", asyncio.create_task(cancel_then_await_task()))
    print(f"  G: other cancelled={o.cancelled()} cancelling={o.cancelling()}")

    # H: a task cancelled from outside while it runs (by a callback it queued) then returns
    async def cancelled_during_step():
        me = asyncio.current_task()
        loop.call_soon(lambda: print(f"  H: callback cancel -> {me.cancel('cb')} @{T.n}"))
        await asyncio.sleep(0)  # the callback runs before this step resumes
        return "too late?"

    await report("H", asyncio.create_task(cancelled_during_step()))
    T.stop()


run(main())
