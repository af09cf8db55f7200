# Queue.shutdown (3.13): blocked putters and getters wake up and raise QueueShutDown at
# their next iteration; gets still drain a gracefully shut-down queue; shutdown(immediate)
# drops the items and releases join().
import asyncio

from vtloop import Ticker, run

T = None


async def get(q, name):
    try:
        item = await q.get()
        print(f"{name} got {item} @{T.n}")
        q.task_done()
    except asyncio.QueueShutDown:
        print(f"{name} QueueShutDown @{T.n}")


async def put(q, name, item):
    try:
        await q.put(item)
        print(f"{name} put {item} @{T.n}")
    except asyncio.QueueShutDown:
        print(f"{name} QueueShutDown @{T.n}")


async def join(q, name):
    await q.join()
    print(f"{name} joined @{T.n}")


async def main():
    global T
    T = Ticker(asyncio.get_running_loop())
    # Graceful: putters fail, getters drain what is there, then fail.
    q = asyncio.Queue(maxsize=2)
    q.put_nowait("a")
    q.put_nowait("b")
    ts = [asyncio.create_task(put(q, "p1", "c")), asyncio.create_task(join(q, "j1"))]
    await asyncio.sleep(0)
    q.shutdown()
    print(f"shutdown @{T.n} qsize={q.qsize()}")
    ts += [asyncio.create_task(get(q, f"g{i}")) for i in range(4)]
    await asyncio.gather(*ts)
    try:
        q.put_nowait("d")
    except asyncio.QueueShutDown:
        print(f"put_nowait QueueShutDown @{T.n}")
    try:
        q.get_nowait()
    except asyncio.QueueShutDown:
        print(f"get_nowait QueueShutDown @{T.n}")

    # Immediate: items dropped and counted done; join() released; getters fail.
    q = asyncio.Queue()
    for i in range(3):
        q.put_nowait(i)
    print(f"got {await q.get()} @{T.n}")
    j = asyncio.create_task(join(q, "j2"))
    g = asyncio.create_task(get(asyncio.Queue(), "unrelated"))
    await asyncio.sleep(0)
    q.shutdown(immediate=True)
    print(f"shutdown(immediate) @{T.n} qsize={q.qsize()}")
    await asyncio.sleep(0)
    print(f"j2 done={j.done()} @{T.n}")
    q.task_done()
    await j
    try:
        q.task_done()
    except ValueError as e:
        print(f"ValueError: {e}")
    g.cancel()
    await asyncio.gather(g, return_exceptions=True)

    # Getters blocked on an empty queue: all woken, in order.
    q = asyncio.Queue()
    gs = [asyncio.create_task(get(q, f"w{i}")) for i in range(3)]
    await asyncio.sleep(0)
    q.shutdown()
    await asyncio.gather(*gs)
    T.stop()


run(main())
