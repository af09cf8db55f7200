# Nested gathers (R30, R32, R39): groups of groups three levels deep, results in argument
# order whatever the completion order; a group shared by two parents and awaited by two
# tasks; plain futures and sleep() (None) as children; a gather of finished groups.
import asyncio

from gw_strict import Ticker, run

loop = None


async def leaf(tag, d):
    print(f"  > {tag} t={loop.time()}")
    await asyncio.sleep(d)
    print(f"  < {tag} t={loop.time()}")
    return tag


async def watcher(name, g):
    r = await g
    print(f"  {name} got {r} t={loop.time()}")
    return name


async def main():
    global loop
    loop = asyncio.get_running_loop()
    print("A: three levels")
    a = asyncio.gather(leaf("a1", 0.5), leaf("a2", 0.25))
    b = asyncio.gather(leaf("b1", 0.375), asyncio.gather(leaf("b2", 0.125), leaf("b3", 0.625)))
    top = asyncio.gather(a, b, leaf("c", 0.0625))
    await asyncio.sleep(0.3)
    print(f"  t={loop.time()} a.done()={a.done()} b.done()={b.done()} top.done()={top.done()}")
    r = await top
    print(f"  top -> {r} t={loop.time()}")

    print("B: one group shared by two parents and two awaiting tasks")
    shared = asyncio.gather(leaf("s1", 0.125), leaf("s2", 0.0625))
    p1 = asyncio.gather(shared, leaf("p1", 0.25))
    p2 = asyncio.gather(leaf("p2", 0.1875), shared)
    w1 = asyncio.create_task(watcher("w1", shared))
    w2 = asyncio.create_task(watcher("w2", shared))
    r = await asyncio.gather(p1, p2, w1, w2)
    print(f"  -> {r} t={loop.time()}")

    print("C: futures and sleep() as children")
    f = loop.create_future()
    loop.call_later(0.0390625, f.set_result, 7)
    r = await asyncio.gather(f, asyncio.sleep(0.015625), leaf("l", 0.03125), f)
    print(f"  -> {r} t={loop.time()}")

    print("D: gathers of finished groups are done at once")
    T = Ticker(loop)
    s = T.n
    g = asyncio.gather(a, b, top, shared)
    print(f"  done when returned: {g.done()}")
    r = await g
    print(f"  -> {r} iterations={T.n - s}")
    s = T.n
    r = await asyncio.gather(asyncio.gather(), asyncio.gather(a))
    print(f"  empty and done groups -> {r} iterations={T.n - s}")
    T.stop()


run(main())
