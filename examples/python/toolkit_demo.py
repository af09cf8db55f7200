"""Twin of examples/toolkit_demo.cpp: TaskGroup, timeout, wait_for, shield and
as_completed, each in its `async with` / `async for` form. `--virtual-time` runs it on
the virtual clock of tests/conformance/vtloop.py (instant, and the same output as the C++
program with --virtual-time)."""
import asyncio
import os
import sys

t0 = 0.0


def now():
    return asyncio.get_running_loop().time() - t0


async def fetch(name, delay, fail=False):
    try:
        await asyncio.sleep(delay)
    except asyncio.CancelledError:
        print(f"[{now():.2f}]   {name}: cancelled")
        raise
    if fail:
        print(f"[{now():.2f}]   {name}: failed")
        raise ConnectionError(f"{name} unreachable")
    print(f"[{now():.2f}]   {name}: fetched")
    return f"<{name}>"


async def save(record):
    await asyncio.sleep(0.15)
    print(f"[{now():.2f}]   save({record}) committed")
    return record


async def amain():
    global t0
    t0 = asyncio.get_running_loop().time()

    print("1. TaskGroup: all children finish before the block ends")
    async with asyncio.TaskGroup() as tg:
        a = tg.create_task(fetch("a", 0.1))
        b = tg.create_task(fetch("b", 0.2))
    print(f"[{now():.2f}] results {a.result()} {b.result()}")

    print("2. TaskGroup: a failure cancels the siblings and the body")
    try:
        async with asyncio.TaskGroup() as tg:
            tg.create_task(fetch("c", 0.05, fail=True))
            tg.create_task(fetch("d", 0.3))
            await asyncio.sleep(1)
    except* ConnectionError as eg:
        print(f"[{now():.2f}] ExceptionGroup: {[str(e) for e in eg.exceptions]}")

    print("3. timeout: a deadline for a block, moved once")
    try:
        async with asyncio.timeout(0.1) as cm:
            cm.reschedule(cm.when() + 0.05)
            await fetch("e", 0.4)
    except TimeoutError:
        print(f"[{now():.2f}] TimeoutError, expired={cm.expired()}")
    async with asyncio.timeout(1):
        r = await fetch("f", 0.05)
    print(f"[{now():.2f}] -> {r}")

    print("4. wait_for: the result, or TimeoutError after the work is cancelled")
    r = await asyncio.wait_for(fetch("g", 0.05), 0.5)
    print(f"[{now():.2f}] -> {r}")
    try:
        await asyncio.wait_for(fetch("h", 0.5), 0.1)
    except TimeoutError:
        print(f"[{now():.2f}] TimeoutError")

    print("5. shield: the caller gives up, the save completes")
    saving = asyncio.create_task(save("order-42"))
    try:
        await asyncio.wait_for(asyncio.shield(saving), 0.05)
    except TimeoutError:
        print(f"[{now():.2f}] caller timed out; save still running: {not saving.done()}")
    r = await saving
    print(f"[{now():.2f}] saved {r}")

    print("6. as_completed: in completion order, `async for` and plain iteration")
    tasks = [asyncio.create_task(fetch(n, d)) for n, d in (("i", 0.3), ("j", 0.1), ("k", 0.2))]
    async for t in asyncio.as_completed(tasks):
        print(f"[{now():.2f}] next: {t.result()} (one of the tasks: {t in tasks})")
    try:
        for aw in asyncio.as_completed([fetch("l", 0.05), fetch("m", 0.5)], timeout=0.2):
            r = await aw
            print(f"[{now():.2f}] next: {r}")
    except TimeoutError:
        print(f"[{now():.2f}] TimeoutError (m keeps running)")
    await asyncio.sleep(0.35)
    print(f"[{now():.2f}] done")


if __name__ == "__main__":
    if sys.argv[1:] == ["--virtual-time"]:
        sys.path.insert(0, os.path.join(os.path.dirname(__file__), "../../tests/conformance"))
        from vtloop import run
        run(amain())
    else:
        asyncio.run(amain())
