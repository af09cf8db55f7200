# A task cancelled before its first step (R20, R22; docs/semantics.md e09 A): none of the
# body runs (not even its finally blocks), the task ends cancelled one iteration later;
# with nothing to forward to, every request overwrites the message: the last one wins.
import asyncio

from vtloop import Ticker, msg, run

T = None
ran = []


async def body(name):
    try:
        ran.append(name)
        await asyncio.sleep(1)
    finally:
        print(f"  finally of {name} (body ran)")


async def instant():
    ran.append("instant")
    return 1


async def main():
    global T
    loop = asyncio.get_running_loop()
    T = Ticker(loop)
    # A: cancel right after create_task
    print(f"A @{T.n}")
    t = asyncio.create_task(body("a"))
    print(f"  cancel('early') -> {t.cancel('early')} cancelling={t.cancelling()} cancelled={t.cancelled()} done={t.done()}")
    t.add_done_callback(lambda t: print(f"  done callback: cancelled={t.cancelled()} @{T.n}"))
    try:
        await t
    except asyncio.CancelledError as e:
        print(f"  await -> {msg(e)!r} body ran={ran} cancelled={t.cancelled()} @{T.n}")
    # B: several requests before the start: all True, counted, the last message wins
    print(f"B @{T.n}")
    t = asyncio.create_task(body("b"))
    print(f"  cancel x3 -> {t.cancel('m1')} {t.cancel('m2')} {t.cancel('m3')} cancelling={t.cancelling()}")
    try:
        await t
    except asyncio.CancelledError as e:
        print(f"  await -> {msg(e)!r} body ran={ran} @{T.n}")
    # C: a coroutine that would return at once is cancelled all the same
    print(f"C @{T.n}")
    t = asyncio.create_task(instant())
    t.cancel()
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    print(f"  done={t.done()} cancelled={t.cancelled()} body ran={ran} @{T.n}")
    # D: cancelled by another task before its start, awaited by a third
    print(f"D @{T.n}")
    victim = None

    async def spawner():
        nonlocal victim
        victim = asyncio.create_task(body("d"))
        await asyncio.sleep(0)
        return "spawned"

    async def killer():
        print(f"  killer: victim started? {'d' in ran} cancel -> {victim.cancel('killed')} @{T.n}")

    async def watcher():
        try:
            await victim
        except asyncio.CancelledError as e:
            print(f"  watcher: {msg(e)!r} @{T.n}")

    # In the next iteration the spawner creates the victim, then the killer (queued right
    # after the spawner) cancels it before the victim's first step.
    s = asyncio.create_task(spawner())
    k = asyncio.create_task(killer())
    await asyncio.sleep(0)
    w = asyncio.create_task(watcher())
    await s
    await k
    await w
    print(f"  body ran={ran} victim cancelled={victim.cancelled()} @{T.n}")
    # E: cancelling the same task again once it has ended: False, count unchanged
    print(f"E: cancel again -> {victim.cancel()} cancelling={victim.cancelling()}")
    T.stop()


run(main())
