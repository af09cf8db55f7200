# gather(return_exceptions=True) with results, failures and cancellations mixed (R35,
# R36): every outcome lands in place; a cancelled child is CancelledError('') (or the
# message of a plain future); a child that swallows its cancellation returns its value;
# nested gathers with and without return_exceptions; and cancelling the gather itself
# still ends it with CancelledError although return_exceptions=True.
import asyncio

from gw_strict import msg, run

loop = None


async def ok(tag, d):
    await asyncio.sleep(d)
    print(f"  < {tag} t={loop.time()}")
    return tag


async def fail(tag, d):
    await asyncio.sleep(d)
    print(f"  ! {tag} t={loop.time()}")
    raise ValueError(tag)


async def swallow(tag, d):
    try:
        await asyncio.sleep(d)
    except asyncio.CancelledError as e:
        print(f"  {tag} swallows CancelledError({msg(e)!r}) t={loop.time()}")
        return tag + "-swallowed"
    return tag


async def main():
    global loop
    loop = asyncio.get_running_loop()
    print("A: mixed outcomes")
    t_cancel = asyncio.create_task(ok("tc", 1.0))
    t_swallow = asyncio.create_task(swallow("ts", 1.125))
    fut = loop.create_future()
    fut_c = loop.create_future()
    loop.call_later(0.125, t_cancel.cancel, "tc-msg")
    loop.call_later(0.1875, t_swallow.cancel, "ts-msg")
    loop.call_later(0.25, fut.set_exception, ValueError("from-future"))
    loop.call_later(0.3125, fut_c.cancel, "fc-msg")
    inner_plain = asyncio.gather(ok("i1", 0.0625), fail("i2", 0.09375), ok("i3", 0.40625))
    inner_re = asyncio.gather(ok("j1", 0.0703125), fail("j2", 0.078125), return_exceptions=True)
    g = asyncio.gather(ok("a", 0.03125), fail("b", 0.046875), t_cancel, t_swallow, fut,
                       fut_c, inner_plain, inner_re, return_exceptions=True)
    r = await g
    print(f"  -> {r!r} t={loop.time()}")
    print(f"  g.cancelled()={g.cancelled()} t_cancel.cancelled()={t_cancel.cancelled()} "
          f"t_swallow.cancelled()={t_swallow.cancelled()}")

    print("B: cancelling a return_exceptions gather")
    g = asyncio.gather(ok("x", 0.25), fail("y", 0.0625), swallow("z", 0.375),
                       return_exceptions=True)
    await asyncio.sleep(0.125)
    print(f"  g.cancel('B') -> {g.cancel('B')}")
    try:
        print(f"  -> {await g!r}")
    except asyncio.CancelledError as e:
        print(f"  CancelledError({msg(e)!r}) g.cancelled()={g.cancelled()} t={loop.time()}")

    print("C: every child fails")
    r = await asyncio.gather(*[fail(f"f{i}", 0.015625 * (5 - i)) for i in range(4)],
                             return_exceptions=True)
    print(f"  -> {r!r}")


run(main())
