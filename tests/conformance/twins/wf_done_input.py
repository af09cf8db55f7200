# asyncio.wait_for with timeout <= 0 (tasks.py wait_for): an input already done gives its
# result, its exception or its CancelledError unchanged; only a cancellation the timeout
# caused becomes TimeoutError (raised from the CancelledError).
import asyncio

from vtloop import msg, run


async def value(v):
    return v


async def fail():
    raise ValueError("bad")


async def sleeper():
    await asyncio.sleep(10)
    return "slept"


async def stubborn():
    try:
        await asyncio.sleep(10)
    except asyncio.CancelledError:
        pass
    return "kept"


started = False


async def never():
    global started
    started = True
    return "ran"


async def probe(label, aw, timeout):
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    try:
        r = await asyncio.wait_for(aw, timeout)
        print(f"  {label}: -> {r!r}")
    except asyncio.TimeoutError as e:
        print(f"  {label}: TimeoutError from {type(e.__cause__).__name__}({msg(e.__cause__)!r})")
    except asyncio.CancelledError as e:
        print(f"  {label}: CancelledError({msg(e)!r})")
    except ValueError as e:
        print(f"  {label}: ValueError({msg(e)!r})")
    print(f"    dt={loop.time() - t0}")


async def main():
    loop = asyncio.get_running_loop()
    print("A done result")
    t = asyncio.create_task(value(42))
    await asyncio.sleep(0.1)
    await probe("task", t, 0)
    f = loop.create_future()
    f.set_result(7)
    await probe("future, timeout -1", f, -1)
    print("B done exception")
    t = asyncio.create_task(fail())
    await asyncio.sleep(0.1)
    await probe("task", t, 0)
    print("C done cancelled")
    t = asyncio.create_task(sleeper())
    await asyncio.sleep(0)
    t.cancel("x")
    await asyncio.sleep(0.1)
    await probe("task", t, 0)
    t = asyncio.create_task(value(1))
    t.cancel()
    await asyncio.sleep(0.1)
    await probe("task cancelled before start", t, 0)
    f = loop.create_future()
    f.cancel("fut")
    await probe("future", f, 0)
    print("D pending coroutine")
    await probe("coroutine", never(), 0)
    print(f"    started={started}")
    print("E pending task")
    t = asyncio.create_task(sleeper())
    await asyncio.sleep(0)
    await probe("task", t, 0)
    print(f"    cancelled={t.cancelled()}")
    t = asyncio.create_task(stubborn())
    await asyncio.sleep(0)
    await probe("task that ignores the cancel", t, 0)
    print("F positive timeout, done input")
    t = asyncio.create_task(value("v"))
    await asyncio.sleep(0)
    await probe("task", t, 5)


run(main())
