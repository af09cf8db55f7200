# Cancelling gathers whose children do not simply die (R36, bpo-32684): children that
# swallow the cancellation and return, children caught between steps (the message is then
# kept on the task and ends up in the gather's CancelledError), children with a slow
# cleanup, cancelling the task that awaits such a gather; and cancelling a task blocked in
# wait() leaves the inputs running (R44).
import asyncio

from gw_strict import msg, run

loop = None


async def stubborn(tag, d, ret):
    try:
        await asyncio.sleep(d)
    except asyncio.CancelledError as e:
        print(f"  {tag} swallows CancelledError({msg(e)!r}) t={loop.time()}")
        return ret + 100
    return ret


async def busy(tag, ret):
    for i in range(5):
        try:
            await asyncio.sleep(0)
        except asyncio.CancelledError as e:
            print(f"  {tag} swallows CancelledError({msg(e)!r}) at step {i}")
    return ret


async def slow_cleanup(tag, d, cleanup):
    try:
        await asyncio.sleep(d)
    except asyncio.CancelledError as e:
        print(f"  {tag} cleaning up after CancelledError({msg(e)!r}) t={loop.time()}")
        await asyncio.sleep(cleanup)
        print(f"  {tag} cleanup done t={loop.time()}")
        raise
    return tag


async def outcome(label, g):
    try:
        r = await g
        print(f"  {label}: result {r} t={loop.time()}")
    except asyncio.CancelledError as e:
        print(f"  {label}: CancelledError({msg(e)!r}) g.cancelled()={g.cancelled()} "
              f"t={loop.time()}")


async def main():
    global loop
    loop = asyncio.get_running_loop()
    for re in (False, True):
        print(f"A: parked children swallow, return_exceptions={re}")
        g = asyncio.gather(stubborn("a1", 0.25, 1), stubborn("a2", 0.375, 2),
                           return_exceptions=re)
        await asyncio.sleep(0.125)
        print(f"  g.cancel('A') -> {g.cancel('A')}")
        await outcome("A", g)

        print(f"B: children between steps swallow, return_exceptions={re}")
        g = asyncio.gather(busy("b1", 1), busy("b2", 2), return_exceptions=re)
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        print(f"  g.cancel('B') -> {g.cancel('B')}")
        await outcome("B", g)

    print("C: slow cleanup")
    g = asyncio.gather(slow_cleanup("c1", 1.0, 0.25), slow_cleanup("c2", 1.125, 0.125),
                       stubborn("c3", 0.0625, 3))
    await asyncio.sleep(0.125)
    print(f"  g.cancel('C') -> {g.cancel('C')}")
    await outcome("C", g)
    await asyncio.sleep(0.5)

    print("D: cancelling the task awaiting such a gather")
    t = asyncio.create_task(outcome("D", asyncio.gather(
        slow_cleanup("d1", 1.0, 0.25), stubborn("d2", 0.5, 4))))
    await asyncio.sleep(0.125)
    print(f"  t.cancel('D') -> {t.cancel('D')}")
    await t
    print(f"  t.cancelled()={t.cancelled()} t={loop.time()}")
    await asyncio.sleep(1)

    print("E: cancelling a task blocked in wait()")
    inputs = [asyncio.create_task(slow_cleanup("e1", 0.25, 0.0625)),
              asyncio.create_task(stubborn("e2", 0.375, 5))]
    waiter = asyncio.create_task(asyncio.wait(inputs))
    await asyncio.sleep(0.125)
    print(f"  waiter.cancel() -> {waiter.cancel()}")
    try:
        await waiter
    except asyncio.CancelledError:
        print(f"  waiter cancelled t={loop.time()}; inputs done: {[t.done() for t in inputs]}")
    done, pending = await asyncio.wait(inputs)
    print(f"  inputs -> {[t.result() for t in inputs]} t={loop.time()} "
          f"cancelled: {[t.cancelled() for t in inputs]}")


run(main())
