# What a task does with its CancelledError (R16, R20, R25): swallow it and return a
# value, clean up (awaiting) then re-raise, turn it into another exception, replace it
# with a CancelledError of its own, swallow one request and fall to the next.
import asyncio

from vtloop import msg, run


async def outcome(label, t):
    try:
        r = await t
        print(f"  {label}: result {r!r}")
    except asyncio.CancelledError as e:
        print(f"  {label}: CancelledError({msg(e)!r})")
    except ValueError as e:
        print(f"  {label}: ValueError({msg(e)!r})")
    print(f"  {label}: cancelled={t.cancelled()} cancelling={t.cancelling()} t={asyncio.get_running_loop().time()}")


async def swallow():
    try:
        await asyncio.sleep(10)
    except asyncio.CancelledError as e:
        print(f"  swallow: caught {msg(e)!r}")
    return "returned normally"


async def cleanup_then_reraise():
    try:
        await asyncio.sleep(10)
    except asyncio.CancelledError as e:
        print(f"  cleanup: caught {msg(e)!r} t={asyncio.get_running_loop().time()}")
        await asyncio.sleep(0.5)
        print(f"  cleanup: done t={asyncio.get_running_loop().time()}")
        raise


async def convert():
    try:
        await asyncio.sleep(10)
    except asyncio.CancelledError:
        raise ValueError("converted")


async def replace():
    try:
        await asyncio.sleep(10)
    except asyncio.CancelledError:
        raise asyncio.CancelledError("replaced")


async def swallow_once():
    try:
        await asyncio.sleep(10)
    except asyncio.CancelledError as e:
        print(f"  swallow_once: caught {msg(e)!r}, sleeping again")
    await asyncio.sleep(10)
    return "not reached"


async def ignore_all():
    n = 0
    while True:
        try:
            await asyncio.sleep(1)
            return f"ignored {n} requests"
        except asyncio.CancelledError:
            n += 1


async def main():
    loop = asyncio.get_running_loop()
    for label, coro in (
        ("A swallow", swallow()),
        ("B cleanup", cleanup_then_reraise()),
        ("C convert", convert()),
        ("D replace", replace()),
    ):
        print(label)
        t = asyncio.create_task(coro)
        await asyncio.sleep(0)
        t.cancel(label[0])
        await outcome(label, t)
    print("E swallow once, cancelled twice")
    t = asyncio.create_task(swallow_once())
    await asyncio.sleep(0)
    t.cancel("first")
    await asyncio.sleep(0.25)
    t.cancel("second")
    await outcome("E", t)
    print("F ignore every request, one per 0.25 s")
    t = asyncio.create_task(ignore_all())
    for _ in range(3):
        await asyncio.sleep(0.25)
        t.cancel()
    await outcome("F", t)


run(main())
