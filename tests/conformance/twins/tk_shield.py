# shield (R54): cancelling the task that awaits a shield does not reach the shielded work,
# which keeps running; the work cancelled by its owner cancels the shield; a done input is
# returned as is; wait_for(shield(t)) times out while t completes.
import asyncio

from vtloop import Ticker, run


async def work(name, delay):
    loop = asyncio.get_running_loop()
    try:
        await asyncio.sleep(delay)
    except asyncio.CancelledError:
        print(f"{name}: cancelled at {loop.time()}")
        raise
    print(f"{name}: finished at {loop.time()}")
    return name.upper()


async def immediate():
    return 7


async def main():
    loop = asyncio.get_running_loop()

    # A: the awaiting task is cancelled; the shielded task keeps running
    inner = asyncio.create_task(work("a", 1))

    async def waiter():
        try:
            return await asyncio.shield(inner)
        except asyncio.CancelledError:
            print(f"waiter: CancelledError at {loop.time()} inner done={inner.done()}")
            raise

    w = asyncio.create_task(waiter())
    await asyncio.sleep(0.25)
    w.cancel()
    try:
        await w
    except asyncio.CancelledError:
        print(f"A: waiter cancelled={w.cancelled()}")
    print(f"A: inner result {await inner} at {loop.time()}")

    # B: the shielded work is cancelled by its owner -> the awaiting task sees it
    inner = asyncio.create_task(work("b", 1))
    loop.call_later(0.5, inner.cancel)
    try:
        await asyncio.shield(inner)
    except asyncio.CancelledError:
        print(f"B: CancelledError at {loop.time()} my cancelling={asyncio.current_task().cancelling()}")

    # C: a done input is returned as is; a coroutine becomes a task (3 iterations)
    f = loop.create_future()
    f.set_result(5)
    print(f"C: shield(done) is the same object: {asyncio.shield(f) is f}")
    T = Ticker(loop)
    print(f"C: shield(immediate()) -> {await asyncio.shield(immediate())} after {T.n} iterations")
    T.stop()

    # D: wait_for(shield(t), small) times out, t completes later
    t = asyncio.create_task(work("d", 0.5))
    try:
        await asyncio.wait_for(asyncio.shield(t), 0.125)
    except TimeoutError:
        print(f"D: TimeoutError at {loop.time()} t done={t.done()} cancelled={t.cancelled()}")
    print(f"D: t result {await t} at {loop.time()}")

    # E: timeout 0 on a shield: the shield is cancelled at once, t keeps running
    t = asyncio.create_task(work("e", 0.5))
    s = asyncio.shield(t)
    try:
        await asyncio.wait_for(s, 0)
    except TimeoutError:
        print(f"E: TimeoutError shield cancelled={s.cancelled()} t cancelled={t.cancelled()}")
    await asyncio.sleep(1)
    print(f"E: t result {t.result()}")

    # F: the shielded work fails after the awaiting task was cancelled: nobody sees it
    # unless they look at the inner task itself
    async def failing():
        await asyncio.sleep(0.5)
        raise ValueError("late failure")

    inner = asyncio.create_task(failing())
    w = asyncio.create_task(asyncio.wait_for(asyncio.shield(inner), 0.125))
    try:
        await w
    except TimeoutError:
        print(f"F: TimeoutError at {loop.time()}")
    try:
        await inner
    except ValueError as e:
        print(f"F: inner raised ValueError('{e}') at {loop.time()}")


run(main())
