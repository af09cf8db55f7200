# A Semaphore as a rate limiter on the virtual clock: at most 3 fetches at a time, each
# taking its own time; start/end times and the order in which waiters get a slot. Then a
# BoundedSemaphore over-release, and a waiter cancelled after being granted a slot.
import asyncio

from vtloop import run

DURATIONS = [0.5, 0.2, 0.9, 0.1, 0.4, 0.3, 0.7, 0.2]


async def fetch(sem, i, log):
    loop = asyncio.get_running_loop()
    async with sem:
        start = loop.time()
        await asyncio.sleep(DURATIONS[i])
        log.append(i)
        print(f"fetch {i} start={start:.3f} end={loop.time():.3f} value={sem._value}")
    return i * 10


async def main():
    loop = asyncio.get_running_loop()
    sem = asyncio.Semaphore(3)
    log = []
    results = await asyncio.gather(*(fetch(sem, i, log) for i in range(len(DURATIONS))))
    print(f"results {results} order {log} t={loop.time():.3f} locked={sem.locked()}")

    b = asyncio.BoundedSemaphore(1)
    await b.acquire()
    b.release()
    try:
        b.release()
    except ValueError as e:
        print(f"ValueError: {e}")

    s = asyncio.Semaphore(0)
    w1 = asyncio.create_task(s.acquire())
    w2 = asyncio.create_task(s.acquire())
    await asyncio.sleep(0)
    s.release()
    w1.cancel()
    await asyncio.sleep(0)
    print(f"w1 cancelled={w1.cancelled()} w2 done={w2.done()} locked={s.locked()}")
    await asyncio.sleep(0)
    print(f"w2 done={w2.done()} locked={s.locked()}")


run(main())
