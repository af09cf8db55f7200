# Cancellation forwarded down an await chain (R20, R24; docs/semantics.md e09 G): a task
# parked on a task forwards cancel(msg) to it, down to the innermost future; each level
# counts the request; the awaiter resumes when the level below has finished.
import asyncio

from vtloop import Ticker, msg, run

T = None
f = None
log_level = []


async def level(name, below):
    try:
        if below is None:
            return await f
        return await below
    except asyncio.CancelledError as e:
        me = asyncio.current_task()
        print(f"  {name} saw CancelledError({msg(e)!r}) cancelling={me.cancelling()} @{T.n}")
        raise


async def inner_coro():
    return await f


async def middle_coro():
    return await inner_coro()


async def main():
    global T, f
    loop = asyncio.get_running_loop()
    T = Ticker(loop)
    # A: top -> mid -> leaf -> future
    print("A")
    f = loop.create_future()
    leaf = asyncio.create_task(level("leaf", None))
    mid = asyncio.create_task(level("mid", leaf))
    top = asyncio.create_task(level("top", mid))
    await asyncio.sleep(0)
    print(f"  cancel(top, 'deep') -> {top.cancel('deep')} @{T.n}")
    print(f"  f.cancelled()={f.cancelled()} leaf.done()={leaf.done()} counts: top={top.cancelling()} mid={mid.cancelling()} leaf={leaf.cancelling()}")
    try:
        await top
    except asyncio.CancelledError as e:
        print(f"  await top -> {msg(e)!r} @{T.n}")
    print(f"  cancelled: top={top.cancelled()} mid={mid.cancelled()} leaf={leaf.cancelled()}")
    # B: the chain inside one task (coroutines awaited inline) reaches the future too
    print("B")
    f = loop.create_future()
    t = asyncio.create_task(middle_coro())
    await asyncio.sleep(0)
    t.cancel("inline")
    print(f"  f.cancelled()={f.cancelled()} @{T.n}")
    try:
        await t
    except asyncio.CancelledError as e:
        print(f"  await -> {msg(e)!r} @{T.n}")

    # C: the leaf swallows the cancel and returns: the levels above get its value
    print("C")
    f = loop.create_future()

    async def stubborn_leaf():
        try:
            await f
        except asyncio.CancelledError as e:
            print(f"  leaf swallows {msg(e)!r} @{T.n}")
        await asyncio.sleep(0)
        return "leaf-value"

    leaf = asyncio.create_task(stubborn_leaf())
    mid = asyncio.create_task(level("mid", leaf))
    await asyncio.sleep(0)
    mid.cancel("try")
    r = await mid
    print(f"  mid returned {r!r} cancelled={mid.cancelled()} cancelling={mid.cancelling()} leaf cancelling={leaf.cancelling()} @{T.n}")
    # D: cancelling the middle task directly: the top one is not cancelled, it just sees
    # the CancelledError of what it awaited, and may carry on
    print("D")
    f = loop.create_future()
    leaf = asyncio.create_task(level("leaf", None))
    mid = asyncio.create_task(level("mid", leaf))

    async def top_catches():
        try:
            await mid
        except asyncio.CancelledError as e:
            print(f"  top caught {msg(e)!r} cancelling={asyncio.current_task().cancelling()} @{T.n}")
        await asyncio.sleep(0)
        return "top-done"

    top = asyncio.create_task(top_catches())
    await asyncio.sleep(0)
    mid.cancel("mid-only")
    r = await top
    print(f"  top -> {r!r} cancelled={top.cancelled()} mid={mid.cancelled()} leaf={leaf.cancelled()} @{T.n}")
    # E: a future shared by two tasks: cancelling one task cancels the future, so the
    # other task is woken with CancelledError too (though nobody cancelled it)
    print("E")
    f = loop.create_future()
    a = asyncio.create_task(level("a", None))
    b = asyncio.create_task(level("b", None))
    await asyncio.sleep(0)
    a.cancel("only-a")
    for name, t in (("a", a), ("b", b)):
        try:
            await t
        except asyncio.CancelledError as e:
            print(f"  await {name} -> {msg(e)!r} cancelled={t.cancelled()} cancelling={t.cancelling()} @{T.n}")
    # F: cancel the leaf's future from outside: every level ends cancelled, no counts
    print("F")
    f = loop.create_future()
    leaf = asyncio.create_task(level("leaf", None))
    mid = asyncio.create_task(level("mid", leaf))
    await asyncio.sleep(0)
    f.cancel("at-bottom")
    try:
        await mid
    except asyncio.CancelledError as e:
        print(f"  await mid -> {msg(e)!r} counts mid={mid.cancelling()} leaf={leaf.cancelling()} @{T.n}")
    T.stop()


run(main())
