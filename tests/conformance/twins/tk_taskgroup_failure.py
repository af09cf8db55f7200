# TaskGroup failure cascade (R56-R58): the first failing child cancels its siblings and
# the body; the exit waits for all of them and raises an ExceptionGroup of every error
# (children in completion order, then the body's); the parent's cancel count is restored.
# Only one child per group reacts visibly to its cancellation: CPython cancels the
# children in set order, this library in creation order.
import asyncio

from vtloop import msg, run


def fmt(eg):
    inner = ", ".join(
        fmt(e) if isinstance(e, ExceptionGroup) else f"{type(e).__name__}({msg(e)})"
        for e in eg.exceptions)
    return f"{msg(eg)} [{inner}]"


async def fail_after(delay, exc):
    await asyncio.sleep(delay)
    print(f"  raising {type(exc).__name__}({msg(exc)}) at {asyncio.get_running_loop().time()}")
    raise exc


async def sleeper(name, delay, loud=False, crash=None):
    loop = asyncio.get_running_loop()
    try:
        await asyncio.sleep(delay)
    except asyncio.CancelledError:
        if loud:
            print(f"  {name}: cancelled at {loop.time()}")
        if crash is not None:
            print(f"  {name}: raising {type(crash).__name__} in its cleanup")
            raise crash
        raise
    print(f"  {name}: finished at {loop.time()}")
    return name


async def main():
    loop = asyncio.get_running_loop()
    me = asyncio.current_task()

    print("A: one child fails, siblings and body cancelled")
    try:
        async with asyncio.TaskGroup() as tg:
            tg.create_task(fail_after(0.25, ValueError("a")))
            b = tg.create_task(sleeper("b", 1, loud=True))
            c = tg.create_task(sleeper("c", 2))
            try:
                await asyncio.sleep(5)
            except asyncio.CancelledError:
                print(f"  body: cancelled at {loop.time()}")
                raise
        print("A: not reached")
    except ExceptionGroup as eg:
        print(f"A: {fmt(eg)} at {loop.time()} b={b.cancelled()} c={c.cancelled()} "
              f"cancelling={me.cancelling()}")

    print("B: a sibling fails in its cleanup: both errors, in completion order")
    try:
        async with asyncio.TaskGroup() as tg:
            tg.create_task(fail_after(0.125, ValueError("first")))
            tg.create_task(sleeper("b", 1, loud=True, crash=KeyError("cleanup")))
    except ExceptionGroup as eg:
        print(f"B: {fmt(eg)} at {loop.time()}")

    print("C: the body fails before the children start")
    started = []

    async def child(i):
        started.append(i)
        await asyncio.sleep(1)

    try:
        async with asyncio.TaskGroup() as tg:
            t1 = tg.create_task(child(1))
            t2 = tg.create_task(child(2))
            raise ZeroDivisionError("body")
    except ExceptionGroup as eg:
        print(f"C: {fmt(eg)} started={started} cancelled={t1.cancelled()},{t2.cancelled()}")

    print("D: a child error and then the body's own error")

    async def nested():
        try:
            await asyncio.sleep(10)
        finally:
            raise TypeError("from body cleanup")

    try:
        async with asyncio.TaskGroup() as tg:
            tg.create_task(fail_after(0.125, ZeroDivisionError("child")))
            await nested()
    except ExceptionGroup as eg:
        print(f"D: {fmt(eg)} at {loop.time()}")

    print("E: no new children once the group is shutting down")

    async def spawner(g):
        try:
            await asyncio.sleep(1)
        except asyncio.CancelledError:
            try:
                g.create_task(asyncio.sleep(0))
            except RuntimeError as e:
                print(f"  spawner: RuntimeError({e})")
            raise

    try:
        async with asyncio.TaskGroup() as tg:
            tg.create_task(fail_after(0.0625, ValueError("x")))
            tg.create_task(spawner(tg))
    except ExceptionGroup as eg:
        print(f"E: {fmt(eg)}")

    print("F: a child cancelled explicitly is not an error")
    async with asyncio.TaskGroup() as tg:
        t1 = tg.create_task(sleeper("f1", 1, loud=True))
        t2 = tg.create_task(sleeper("f2", 0.25))
        await asyncio.sleep(0.125)
        t1.cancel()
    print(f"F: t1 cancelled={t1.cancelled()} t2={t2.result()} at {loop.time()}")

    print("G: a child fails while the exit already waits")
    try:
        async with asyncio.TaskGroup() as tg:
            tg.create_task(sleeper("g1", 1, loud=True))
            tg.create_task(fail_after(0.5, ValueError("late")))
        print("G: not reached")
    except ExceptionGroup as eg:
        print(f"G: {fmt(eg)} at {loop.time()} cancelling={me.cancelling()}")
    await asyncio.sleep(0)
    print("end")


run(main())
