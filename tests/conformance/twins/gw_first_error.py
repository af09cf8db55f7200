# First-error propagation (R33, R37): the first exception completes the gather at once; the
# siblings are not cancelled and run on; their later exceptions are marked retrieved (the
# exception handler, which prints every call, stays silent); gather.cancel() afterwards
# returns False and cancels nothing. Nested groups pass the inner error object through.
import asyncio

from gw_strict import msg, run

loop = None


async def worker(name, delay, fail=False):
    try:
        await asyncio.sleep(delay)
    except asyncio.CancelledError:
        print(f"  {name} cancelled")
        raise
    if fail:
        print(f"  {name} raising t={loop.time()}")
        raise ValueError(name)
    print(f"  {name} done t={loop.time()}")
    return name


async def fail_now(name):
    print(f"  {name} raising at once")
    raise ValueError(name)


async def main():
    global loop
    loop = asyncio.get_running_loop()
    loop.set_exception_handler(lambda lp, ctx: print(f"HANDLER: {ctx['message']}"))
    print("A: flat")
    g = asyncio.gather(worker("a", 0.0625), worker("b", 0.125, True), worker("c", 0.3125),
                       worker("d", 0.1875, True))
    try:
        await g
    except ValueError as e:
        print(f"  caught ValueError({msg(e)!r}) t={loop.time()} done={g.done()} "
              f"cancelled={g.cancelled()}")
    print(f"  g.cancel() after failure -> {g.cancel()}")
    await asyncio.sleep(0.5)
    print(f"  after sleep t={loop.time()}")

    print("B: nested")
    inner = asyncio.gather(worker("i1", 0.125, True), worker("i2", 0.25))
    outer = asyncio.gather(inner, worker("o1", 0.1875), worker("o2", 0.3125, True))
    try:
        await outer
    except ValueError as e:
        print(f"  caught ValueError({msg(e)!r}) t={loop.time()} "
              f"same object: {outer.exception() is inner.exception() is e}")
    print(f"  outer.cancel() -> {outer.cancel()} inner.cancel() -> {inner.cancel()}")
    await asyncio.sleep(0.5)

    print("C: two children failing in the same iteration: the first in argument order wins")
    g = asyncio.gather(fail_now("p"), fail_now("q"), worker("r", 0.0625))
    try:
        await g
    except ValueError as e:
        print(f"  caught ValueError({msg(e)!r})")
    await asyncio.sleep(0.125)

    print("D: a failed future and a failing task")
    f = loop.create_future()
    loop.call_later(0.125, f.set_exception, ValueError("future"))
    g = asyncio.gather(worker("t", 0.0625, True), f, worker("u", 0.1875))
    try:
        await g
    except ValueError as e:
        print(f"  caught ValueError({msg(e)!r}) t={loop.time()}")
    await asyncio.sleep(0.25)
    print(f"  f.exception() -> ValueError({msg(f.exception())!r}) t={loop.time()}")


run(main())
print("end")
