# Scheduling order of task starts, call_soon callbacks and awaits (R14, R15, R17, R18):
# docs/semantics.md e01, line for line, then more latencies measured in loop iterations.
import asyncio

from vtloop import Ticker, run

T = None


async def child(name):
    print(f"{name} start @{T.n}")
    await asyncio.sleep(0)
    print(f"{name} after sleep0 @{T.n}")
    return name


async def plain():
    return 5


async def quick():
    return 1


async def two_hops():
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    return 2


async def main():
    global T
    loop = asyncio.get_running_loop()
    T = Ticker(loop)
    print(f"main start @{T.n}")
    loop.call_soon(lambda: print(f"cb1 @{T.n}"))
    t1 = asyncio.create_task(child("t1"))
    loop.call_soon(lambda: print(f"cb2 @{T.n}"))
    t2 = asyncio.create_task(child("t2"))
    print(f"main after create @{T.n}")
    f = loop.create_future()
    f.set_result(1)
    await f  # completed future: no suspension
    print(f"main after await done-future @{T.n}")
    await plain()  # coroutine without suspension point: no suspension
    print(f"main after await plain coro @{T.n}")
    await asyncio.sleep(0)
    print(f"main after sleep0 @{T.n}")
    r = await t1
    print(f"main got {r} @{T.n}")
    # a task awaiting a pending future resumes one iteration after set_result
    g = loop.create_future()
    loop.call_soon(g.set_result, 7)
    start = T.n
    v = await g
    print(f"resume after future set (set in iter {start + 1}) value {v} @{T.n}")
    # awaiting a fresh task that returns at once: created k, runs k+1, awaiter k+2
    t3 = asyncio.create_task(quick())
    s = T.n
    await t3
    print(f"await fresh task quick(): started @{s} resumed @{T.n}")
    # t2 finished long ago: awaiting a done task does not suspend
    s = T.n
    r2 = await t2
    print(f"await done task t2 -> {r2}: started @{s} resumed @{T.n}")
    # a task with two sleep(0): created k, done k+3, awaiter k+4
    t4 = asyncio.create_task(two_hops())
    s = T.n
    r4 = await t4
    print(f"await two_hops -> {r4}: started @{s} resumed @{T.n}")
    # a chain of inline awaits costs nothing
    s = T.n
    total = 0
    for _ in range(100):
        total += await plain()
    print(f"100 inline awaits -> {total}: started @{s} now @{T.n}")
    T.stop()


run(main())
