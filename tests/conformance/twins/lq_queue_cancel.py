# Cancellation safety of Queue.get/put: a getter cancelled after being woken loses no item
# (the next getter gets it), a putter cancelled after being woken passes its slot on,
# wait_for(q.get(), timeout) on the virtual clock, and a woken getter that finds the item
# gone waits again at the end of the line.
import asyncio

from vtloop import Ticker, run

T = None


async def getter(q, name, log):
    try:
        item = await q.get()
        log.append(f"{name}:{item}")
        print(f"{name} got {item} @{T.n}")
    except asyncio.CancelledError:
        print(f"{name} cancelled @{T.n} qsize={q.qsize()}")
        raise


async def putter(q, name, item):
    try:
        await q.put(item)
        print(f"{name} put {item} @{T.n} qsize={q.qsize()}")
    except asyncio.CancelledError:
        print(f"{name} cancelled @{T.n} qsize={q.qsize()}")
        raise


async def main():
    global T
    loop = asyncio.get_running_loop()
    T = Ticker(loop)
    q = asyncio.Queue()
    log = []
    gs = [asyncio.create_task(getter(q, n, log)) for n in ("g1", "g2", "g3")]
    await asyncio.sleep(0)
    q.put_nowait("x")
    gs[0].cancel()
    print(f"put x, cancelled g1 @{T.n}")
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    q.put_nowait("y")
    await asyncio.gather(*gs, return_exceptions=True)
    print(f"log {log} @{T.n} qsize={q.qsize()}")

    # Putters on a full queue: the woken one is cancelled, its slot goes to the next.
    q = asyncio.Queue(maxsize=1)
    q.put_nowait("first")
    ps = [asyncio.create_task(putter(q, n, n.upper())) for n in ("p1", "p2", "p3")]
    await asyncio.sleep(0)
    print(f"got {q.get_nowait()} @{T.n}")
    ps[0].cancel()
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    print(f"got {q.get_nowait()} @{T.n}")
    await asyncio.gather(*ps, return_exceptions=True)
    print(f"left {q.get_nowait()} @{T.n} empty={q.empty()}")

    # A woken getter that finds the item gone waits again behind the others.
    q = asyncio.Queue()
    log = []
    ga = asyncio.create_task(getter(q, "ga", log))
    gb = asyncio.create_task(getter(q, "gb", log))
    await asyncio.sleep(0)
    q.put_nowait(1)
    print(f"stole {q.get_nowait()} @{T.n}")
    await asyncio.sleep(0)
    q.put_nowait(2)
    q.put_nowait(3)
    await asyncio.gather(ga, gb)
    print(f"log {log} @{T.n}")
    T.stop()

    # wait_for on the virtual clock.
    q = asyncio.Queue()
    loop.call_later(2.5, q.put_nowait, "late")
    try:
        await asyncio.wait_for(q.get(), 1.5)
    except TimeoutError:
        print(f"TimeoutError t={loop.time()} empty={q.empty()}")
    item = await asyncio.wait_for(q.get(), 5)
    print(f"got {item} t={loop.time()}")


run(main())
