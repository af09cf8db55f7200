# Producer/consumer through a bounded Queue: the iteration of every put, get, task_done
# and join, with two consumers of different speeds; then LifoQueue and PriorityQueue
# hand-offs to a blocked getter.
import asyncio

from vtloop import Ticker, run

T = None


async def producer(q, n):
    for i in range(n):
        await q.put(i)
        print(f"put {i} @{T.n} qsize={q.qsize()} full={q.full()}")
    print(f"producer joining @{T.n}")
    await q.join()
    print(f"joined @{T.n} qsize={q.qsize()}")


async def consumer(q, name, work):
    try:
        while True:
            item = await q.get()
            print(f"{name} got {item} @{T.n}")
            for _ in range(work):
                await asyncio.sleep(0)
            q.task_done()
    except asyncio.CancelledError:
        print(f"{name} cancelled @{T.n} empty={q.empty()}")
        raise


async def drain(q, name, n):
    out = []
    for _ in range(n):
        out.append(await q.get())
    print(f"{name} drained {out} @{T.n}")


async def main():
    global T
    T = Ticker(asyncio.get_running_loop())
    q = asyncio.Queue(maxsize=2)
    consumers = [asyncio.create_task(consumer(q, "fast", 1)),
                 asyncio.create_task(consumer(q, "slow", 3))]
    await producer(q, 7)
    for c in consumers:
        c.cancel()
    res = await asyncio.gather(*consumers, return_exceptions=True)
    print(f"consumers: {[type(r).__name__ for r in res]} @{T.n}")

    for cls in (asyncio.LifoQueue, asyncio.PriorityQueue):
        q2 = cls(maxsize=3)
        t = asyncio.create_task(drain(q2, cls.__name__, 5))
        await asyncio.sleep(0)
        for v in (5, 1, 4):
            q2.put_nowait(v)
        print(f"{cls.__name__} qsize={q2.qsize()} @{T.n}")
        await asyncio.sleep(0)
        print(f"{cls.__name__} qsize={q2.qsize()} @{T.n}")
        for v in (3, 2, 9):
            await q2.put(v)
            print(f"{cls.__name__} put {v} @{T.n}")
        await t
    T.stop()


run(main())
