# Cancelling one child of a group directly (R34): the group and the outer gather fail with
# that child's CancelledError (its message), nothing else is cancelled, the siblings run
# on. A task awaiting a gather whose child was cancelled ends cancelled() although nobody
# cancelled it (cancelling() == 0); with return_exceptions=True the child is reported as
# CancelledError('') (R35) while the child's own result() still has the message (R27).
import asyncio

from gw_strict import msg, run

loop = None


async def coro(tag, d):
    print(">", tag)
    try:
        await asyncio.sleep(d)
    except asyncio.CancelledError as e:
        print("x", tag, f"CancelledError({msg(e)!r}) t={loop.time()}")
        raise
    print("<", tag, f"t={loop.time()}")
    return tag


async def caller(g):
    await g
    print("caller: not reached")


async def main():
    global loop
    loop = asyncio.get_running_loop()
    print("A: child 2.1 cancelled at t=0.5")
    t21 = asyncio.create_task(coro("2.1", 1.25))
    group1 = asyncio.gather(coro("1.1", 0.75), coro("1.2", 1.5))
    group2 = asyncio.gather(t21, coro("2.2", 1.0), coro("2.3", 0.25))
    all_groups = asyncio.gather(group1, group2)
    loop.call_later(0.5, lambda: print(f"t21.cancel('child') -> {t21.cancel('child')}"))
    try:
        await all_groups
    except asyncio.CancelledError as e:
        print(f"all_groups raised CancelledError({msg(e)!r}) t={loop.time()}")
    print(f"group2: done={group2.done()} cancelled={group2.cancelled()} "
          f"exception=CancelledError({msg(group2.exception())!r})")
    print(f"all_groups: cancelled={all_groups.cancelled()} same exception object="
          f"{all_groups.exception() is group2.exception()}")
    print(f"group1 -> {await group1} t={loop.time()}")
    await asyncio.sleep(0.5)

    print("B: the task awaiting such a gather ends cancelled")
    t = asyncio.create_task(coro("b", 1.0))
    c = asyncio.create_task(caller(asyncio.gather(t, coro("b2", 0.625))))
    await asyncio.sleep(0.25)
    t.cancel("by-b")
    await asyncio.sleep(0.125)
    print(f"caller: done={c.done()} cancelled={c.cancelled()} cancelling={c.cancelling()}")
    try:
        await c
    except asyncio.CancelledError as e:
        print(f"await caller -> CancelledError({msg(e)!r})")
    await asyncio.sleep(0.5)

    print("C: return_exceptions=True")
    t = asyncio.create_task(coro("c", 1.0))
    loop.call_later(0.25, t.cancel, "bye")
    r = await asyncio.gather(t, coro("c2", 0.375), return_exceptions=True)
    print(f"results: {r!r}")
    try:
        t.result()
    except asyncio.CancelledError as e:
        print(f"t.result() -> CancelledError({msg(e)!r})")


run(main())
