# Condition: consumers waiting with wait_for, notify(n) / notify_all, the iteration at
# which each re-acquires the lock, a waiter cancelled after notify (it re-acquires the lock
# before raising, and passes the notification on), and the un-acquired errors.
import asyncio

from vtloop import Ticker, run

T = None


async def consumer(cond, name, items, log):
    async with cond:
        while True:
            await cond.wait_for(lambda: items)
            item = items.pop(0)
            if item is None:
                print(f"{name} stops @{T.n}")
                return
            log.append(f"{name}:{item}")
            print(f"{name} took {item} @{T.n} locked={cond.locked()}")


async def main():
    global T
    T = Ticker(asyncio.get_running_loop())
    cond = asyncio.Condition()
    items, log = [], []
    cs = [asyncio.create_task(consumer(cond, n, items, log)) for n in ("c1", "c2", "c3")]
    await asyncio.sleep(0)
    async with cond:
        items.extend([1, 2])
        cond.notify(2)
        print(f"notified 2 @{T.n}")
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    async with cond:
        items.extend([3, None, None, None])
        cond.notify_all()
        print(f"notified all @{T.n}")
    await asyncio.gather(*cs)
    print(f"log {log} @{T.n}")

    # A waiter cancelled after notify: it re-acquires the lock, then raises; the
    # notification is passed on to the next waiter.
    cond = asyncio.Condition()
    woken = []

    async def waiter(name):
        async with cond:
            try:
                await cond.wait()
                woken.append(name)
                print(f"{name} woken @{T.n}")
            except asyncio.CancelledError:
                print(f"{name} cancelled @{T.n} holds lock={cond.locked()}")
                raise

    w1 = asyncio.create_task(waiter("w1"))
    w2 = asyncio.create_task(waiter("w2"))
    await asyncio.sleep(0)
    async with cond:
        cond.notify(1)
        w1.cancel()
        print(f"notify(1), cancel w1 @{T.n}")
    await asyncio.gather(w1, w2, return_exceptions=True)
    print(f"woken {woken} w1 cancelled={w1.cancelled()} @{T.n} locked={cond.locked()}")

    try:
        cond.notify()
    except RuntimeError as e:
        print(f"RuntimeError: {e}")
    try:
        await cond.wait()
    except RuntimeError as e:
        print(f"RuntimeError: {e}")

    # Two conditions sharing a lock.
    lock = asyncio.Lock()
    ca, cb = asyncio.Condition(lock), asyncio.Condition(lock)

    async def on(c, name):
        async with c:
            await c.wait()
            print(f"{name} woken @{T.n} lock={lock.locked()}")

    ta = asyncio.create_task(on(ca, "on-a"))
    tb = asyncio.create_task(on(cb, "on-b"))
    await asyncio.sleep(0)
    async with lock:
        cb.notify()
    await asyncio.sleep(0)
    print(f"a done={ta.done()} b done={tb.done()} @{T.n}")
    async with ca:
        ca.notify()
    await asyncio.gather(ta, tb)
    T.stop()


run(main())
