# Lock fairness (FIFO), the iteration at which each waiter gets the lock, a woken waiter
# cancelled before it runs passing the wake-up on, a newcomer jumping a queue of cancelled
# waiters, and the RuntimeError of an over-release.
import asyncio

from vtloop import Ticker, run

T = None


async def worker(lock, name, hold):
    print(f"{name} wants @{T.n} locked={lock.locked()}")
    async with lock:
        print(f"{name} got @{T.n}")
        for _ in range(hold):
            await asyncio.sleep(0)
    print(f"{name} released @{T.n}")


async def main():
    global T
    T = Ticker(asyncio.get_running_loop())
    lock = asyncio.Lock()
    tasks = [asyncio.create_task(worker(lock, n, h)) for n, h in (("a", 2), ("b", 0), ("c", 1))]
    await asyncio.sleep(0)
    d = asyncio.create_task(worker(lock, "d", 0))
    await asyncio.gather(*tasks, d)
    print(f"all done @{T.n} locked={lock.locked()}")

    # A woken waiter cancelled before it runs passes the wake-up on.
    await lock.acquire()
    w1 = asyncio.create_task(lock.acquire())
    w2 = asyncio.create_task(lock.acquire())
    await asyncio.sleep(0)
    lock.release()
    w1.cancel()
    print(f"released, w1 cancelled @{T.n}")
    try:
        await w1
    except asyncio.CancelledError:
        print(f"w1 cancelled @{T.n} locked={lock.locked()}")
    await w2
    print(f"w2 acquired @{T.n} locked={lock.locked()}")
    lock.release()

    # Every waiter cancelled: a newcomer takes the lock at once.
    await lock.acquire()
    w3 = asyncio.create_task(lock.acquire())
    await asyncio.sleep(0)
    w3.cancel()
    lock.release()
    start = T.n
    got = await lock.acquire()
    print(f"newcomer got {got} started @{start} now @{T.n}")
    lock.release()
    try:
        await w3
    except asyncio.CancelledError:
        print(f"w3 cancelled @{T.n} locked={lock.locked()}")

    # A newcomer arriving between release() and the woken waiter's turn queues behind it.
    await lock.acquire()
    order = []

    async def grab(name):
        async with lock:
            order.append(name)

    w4 = asyncio.create_task(grab("w4"))
    await asyncio.sleep(0)
    lock.release()
    w5 = asyncio.create_task(grab("w5"))
    print(f"after release locked={lock.locked()}")
    await asyncio.gather(w4, w5)
    print(f"order {order} @{T.n}")

    try:
        lock.release()
    except RuntimeError as e:
        print(f"RuntimeError: {e}")
    T.stop()


run(main())
