# Eager tasks (R66, 3.12+): with the eager task factory (or eager_start=True) the first
# step runs inside create_task, with the new task as current task; a coroutine that never
# suspends gives a task that is already done; gathers and TaskGroups of such tasks finish
# at once. (No task names are printed: with a factory, CPython 3.13.0 renames tasks
# created without a name to "None".)
import asyncio

from vtloop import Ticker, msg, run


async def main():
    loop = asyncio.get_running_loop()
    me = asyncio.current_task()
    loop.set_task_factory(asyncio.eager_task_factory)

    # A: interleaving with the creator
    async def child(name):
        print(f"A: {name} start (current is the child: {asyncio.current_task() is not me})")
        await asyncio.sleep(0)
        print(f"A: {name} resumed")
        return name

    print("A: main before")
    t1 = asyncio.create_task(child("a"))
    print(f"A: main after a: done={t1.done()} current is main: {asyncio.current_task() is me}")
    t2 = asyncio.create_task(child("b"))
    print("A: main after b")
    await asyncio.sleep(0)
    print("A: main after sleep(0)")
    print(f"A: gathered {await asyncio.gather(t1, t2)}")

    # B: a coroutine that never suspends: done at once; cancel() refused
    captured = []

    async def quick(v):
        captured.append(asyncio.current_task())
        return v * 2

    t = asyncio.create_task(quick(21))
    print(f"B: done={t.done()} result={t.result()} ran as itself={captured[0] is t} "
          f"cancel -> {t.cancel()} cancelled={t.cancelled()}")

    # C: suspends, then cancelled with a message after its eager step
    async def sleeper():
        try:
            await asyncio.sleep(1)
        except asyncio.CancelledError as e:
            print(f"C: sleeper got CancelledError('{msg(e)}') at {loop.time()}")
            raise
        return "slept"

    t = asyncio.create_task(sleeper())
    print(f"C: done={t.done()} cancel -> {t.cancel('stop')} cancelling={t.cancelling()}")
    try:
        await t
    except asyncio.CancelledError as e:
        print(f"C: awaiting raised CancelledError('{msg(e)}') cancelled={t.cancelled()}")

    # D: a gather of eagerly finished tasks is done when returned
    T = Ticker(loop)
    g = asyncio.gather(quick(1), quick(2), quick(3))
    print(f"D: gather done at once: {g.done()} -> {await g} @{T.n}")
    T.stop()

    # E: TaskGroup children that finish or fail during create_task
    async def fail():
        raise ValueError("eager failure")

    async def slow():
        try:
            await asyncio.sleep(1)
        except asyncio.CancelledError:
            print("E: slow cancelled")
            raise

    async with asyncio.TaskGroup() as tg:
        t = tg.create_task(quick(5))
        print(f"E: child done in create_task: {t.done()}, {tg!r}")
    try:
        async with asyncio.TaskGroup() as tg:
            tg.create_task(slow())
            f = tg.create_task(fail())
            print(f"E: failed child done={f.done()} {tg!r} cancelling={me.cancelling()}")
            try:
                await asyncio.sleep(0)
            except asyncio.CancelledError:
                print("E: body cancelled at its next await")
                raise
    except ExceptionGroup as eg:
        print(f"E: {[f'{type(e).__name__}({msg(e)})' for e in eg.exceptions]} "
              f"cancelling={me.cancelling()}")

    # F: nested eager steps: each restores the current task
    log = []

    async def inner():
        log.append("inner runs")
        return 1

    async def outer():
        log.append("outer runs")
        t = asyncio.create_task(inner())
        log.append(f"outer resumes, inner done={t.done()}, current is outer: "
                   f"{asyncio.current_task() is not me}")
        await asyncio.sleep(0)
        log.append("outer after sleep(0)")
        return 2

    t = asyncio.create_task(outer())
    log.append(f"main: outer done={t.done()}, current is main: {asyncio.current_task() is me}")
    await t
    print(f"F: {log}")

    # G: per-task eager_start without a factory
    loop.set_task_factory(None)
    order = []

    async def rec(n):
        order.append(n)

    lazy = asyncio.Task(rec("lazy"), loop=loop, eager_start=False)
    eager = asyncio.Task(rec("eager"), loop=loop, eager_start=True)
    order.append(f"created: lazy done={lazy.done()} eager done={eager.done()}")
    await lazy
    print(f"G: {order}")

    # H: a task created by the factory before it suspends, awaited by another eager task
    loop.set_task_factory(asyncio.eager_task_factory)
    fut = loop.create_future()

    async def waiter(i):
        r = await fut
        print(f"H: waiter {i} got {r} at {loop.time()}")
        return i

    ws = [asyncio.create_task(waiter(i)) for i in range(3)]
    loop.call_later(0.5, fut.set_result, "go")
    print(f"H: {await asyncio.gather(*ws)}")
    loop.set_task_factory(None)


run(main())
