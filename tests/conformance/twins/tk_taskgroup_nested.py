# Nested TaskGroups (test_taskgroup_11/13/14, test_nested_groups_both_cancelled,
# gh-116720): which group reports an error decides the nesting of the ExceptionGroups;
# cancel counts come back to 0; an inner group's handled failure leaves the outer running.
import asyncio

from vtloop import msg, run


def fmt(eg):
    inner = ", ".join(
        fmt(e) if isinstance(e, ExceptionGroup) else f"{type(e).__name__}({msg(e)})"
        for e in eg.exceptions)
    return f"EG[{inner}]"


async def crash_after(t, tag):
    await asyncio.sleep(t)
    raise ValueError(tag)


async def crash_in_cleanup(tag):
    try:
        await asyncio.sleep(10)
    finally:
        raise ZeroDivisionError(tag)


async def main():
    loop = asyncio.get_running_loop()
    me = asyncio.current_task()

    # A: the outer group's child fails first -> a flat group (test_taskgroup_13)
    try:
        async with asyncio.TaskGroup() as g1:
            g1.create_task(crash_after(0.125, "outer"))
            async with asyncio.TaskGroup() as g2:
                g2.create_task(crash_after(10, "inner"))
    except ExceptionGroup as eg:
        print(f"A: {fmt(eg)} at {loop.time()} cancelling={me.cancelling()}")

    # B: the inner group's child fails first -> nested (test_taskgroup_14)
    try:
        async with asyncio.TaskGroup() as g1:
            g1.create_task(crash_after(10, "outer"))
            async with asyncio.TaskGroup() as g2:
                g2.create_task(crash_after(0.125, "inner"))
    except ExceptionGroup as eg:
        print(f"B: {fmt(eg)} at {loop.time()} cancelling={me.cancelling()}")

    # C: an outside cancel; the inner group's child fails in its cleanup (test_taskgroup_11)
    async def runner():
        async with asyncio.TaskGroup() as g1:
            g1.create_task(asyncio.sleep(10))
            async with asyncio.TaskGroup() as g2:
                g2.create_task(crash_in_cleanup("cleanup"))
                await asyncio.sleep(10)

    r = asyncio.create_task(runner())
    await asyncio.sleep(0.125)
    r.cancel()
    try:
        await r
    except ExceptionGroup as eg:
        print(f"C: {fmt(eg)} at {loop.time()} runner cancelled={r.cancelled()}")

    # D: both groups fail (test_nested_groups_both_cancelled)
    async def raise_after(t, exc):
        await asyncio.sleep(t)
        raise exc

    try:
        async with asyncio.TaskGroup() as outer_tg:
            try:
                async with asyncio.TaskGroup() as inner_tg:
                    inner_tg.create_task(raise_after(0, RuntimeError("inner")))
                    outer_tg.create_task(raise_after(0, ValueError("outer")))
            except* RuntimeError as eg:
                print(f"D: inner {fmt(eg)} cancelling={me.cancelling()}")
            print(f"D: after inner cancelling={me.cancelling()}")
    except* ValueError as eg:
        print(f"D: outer {fmt(eg)}")
    print(f"D: cancelling={me.cancelling()}")

    # E: an inner group fails and is handled inside the outer one, which goes on
    results = []

    async def worker(i, delay):
        await asyncio.sleep(delay)
        results.append(i)
        return i

    async with asyncio.TaskGroup() as outer:
        outer.create_task(worker(1, 0.5))
        try:
            async with asyncio.TaskGroup() as inner:
                inner.create_task(worker(2, 0.125))
                inner.create_task(crash_after(0.25, "inner"))
        except ExceptionGroup as eg:
            print(f"E: inner {fmt(eg)} at {loop.time()} cancelling={me.cancelling()}")
        outer.create_task(worker(3, 0.375))
    print(f"E: outer done at {loop.time()} results={results}")

    # F: three levels, the innermost fails
    async def level(n):
        async with asyncio.TaskGroup() as g:
            g.create_task(asyncio.sleep(5))
            if n == 0:
                g.create_task(crash_after(0.125, "deep"))
            else:
                await level(n - 1)

    try:
        await level(2)
    except ExceptionGroup as eg:
        print(f"F: {fmt(eg)} at {loop.time()} cancelling={me.cancelling()}")


run(main())
