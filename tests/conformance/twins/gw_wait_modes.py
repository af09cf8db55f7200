# wait() in all three return_when modes, with and without a timeout (R41-R43): five tasks
# (two succeed, two fail, one is cancelled by a timer); FIRST_COMPLETED counts the
# cancellation, FIRST_EXCEPTION does not; a timeout returns what is done and cancels
# nothing. done/pending are sets in CPython: printed in input order (the C++ order).
import asyncio

from gw_strict import run

loop = None
MODES = [("FIRST_COMPLETED", asyncio.FIRST_COMPLETED),
         ("FIRST_EXCEPTION", asyncio.FIRST_EXCEPTION),
         ("ALL_COMPLETED", asyncio.ALL_COMPLETED)]


async def job(name, d, fail=False):
    await asyncio.sleep(d)
    if fail:
        print(f"    {name} raising t={loop.time()}")
        raise ValueError(name)
    print(f"    {name} done t={loop.time()}")
    return name


def fmt(t):
    if not t.done():
        return t.get_name()
    if t.cancelled():
        return f"{t.get_name()}:cancelled"
    if t.exception() is not None:
        return f"{t.get_name()}:ValueError"
    return f"{t.get_name()}={t.result()}"


def show(tasks, done, pending, t0):
    print(f"    done=[{', '.join(fmt(t) for t in tasks if t in done)}] "
          f"pending=[{', '.join(fmt(t) for t in tasks if t in pending)}] "
          f"after {loop.time() - t0}")


def retrieve(tasks):
    for t in tasks:
        if not t.cancelled():
            t.exception()


def make():
    tasks = [asyncio.create_task(job("a", 0.25), name="a"),
             asyncio.create_task(job("b", 0.375, True), name="b"),
             asyncio.create_task(job("c", 0.5), name="c"),
             asyncio.create_task(job("d", 1.5), name="d"),
             asyncio.create_task(job("e", 0.625, True), name="e")]
    loop.call_later(0.125, tasks[3].cancel)
    return tasks


async def main():
    global loop
    loop = asyncio.get_running_loop()
    for timeout in (None, 0.0625, 0.3125, 0.4375, 1.0):
        for label, mode in MODES:
            print(f"{label} timeout={timeout}")
            t0 = loop.time()
            tasks = make()
            done, pending = await asyncio.wait(tasks, timeout=timeout, return_when=mode)
            show(tasks, done, pending, t0)
            print(f"    cancelled: {[t.get_name() for t in tasks if t.cancelled()]}")
            await asyncio.wait(tasks)
            retrieve(tasks)
    print("already done inputs")
    tasks = make()
    await asyncio.wait(tasks)
    retrieve(tasks)
    for label, mode in MODES:
        t0 = loop.time()
        done, pending = await asyncio.wait(tasks, return_when=mode, timeout=0.5)
        print(f"  {label}:")
        show(tasks, done, pending, t0)


run(main())
