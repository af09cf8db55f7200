# Iteration counts of gather and wait (R18, R39, R41, R43), measured with a call_soon
# ticker (one tick per loop iteration): children done at call time, immediate coroutines,
# nested gathers, failures, cancellations, timeout=0, FIRST_COMPLETED/FIRST_EXCEPTION.
import asyncio

from gw_strict import Ticker, msg, run

T = None


async def val(x):
    return x


async def fail(x):
    raise ValueError(x)


async def yield_then(x):
    await asyncio.sleep(0)
    return x


async def measure(name, aw):
    s = T.n
    try:
        r = await aw
        out = repr(r) if not isinstance(r, tuple) else f"done={len(r[0])} pending={len(r[1])}"
    except asyncio.CancelledError as e:
        out = f"CancelledError({msg(e)!r})"
    except ValueError as e:
        out = f"ValueError({msg(e)!r})"
    print(f"{name}: {out} iterations={T.n - s}")


async def main():
    global T
    loop = asyncio.get_running_loop()
    T = Ticker(loop)
    f1 = loop.create_future()
    f1.set_result(1)
    f2 = loop.create_future()
    f2.set_result(2)
    await measure("gather(done futures)", asyncio.gather(f1, f2))
    await measure("gather(3 immediate coros)", asyncio.gather(val(1), val(2), val(3)))
    ts = [asyncio.create_task(val(i)) for i in range(2)]
    await asyncio.sleep(0)
    await measure("gather(done tasks)", asyncio.gather(*ts))
    await measure("gather()", asyncio.gather())
    await measure("gather(gather(c), gather(c))",
                  asyncio.gather(asyncio.gather(val(1)), asyncio.gather(val(2))))
    await measure("gather(c, yielding c)", asyncio.gather(val(1), yield_then(2)))
    await measure("gather(failing c, c) return_exceptions",
                  asyncio.gather(fail("x"), val(1), return_exceptions=True))
    await measure("gather(failing c, c)", asyncio.gather(fail("y"), val(1)))
    f = loop.create_future()
    loop.call_soon(f.set_result, 3)
    await measure("gather(future set by call_soon)", asyncio.gather(f))
    await measure("gather(sleep(0))", asyncio.gather(asyncio.sleep(0)))
    t = asyncio.create_task(val(1))
    t.cancel("pre")
    await measure("gather(task cancelled before start)", asyncio.gather(t))
    pending = loop.create_future()
    g = asyncio.gather(pending, val(5))
    g.cancel("g")
    await measure("gather cancelled at once", g)
    f3 = loop.create_future()
    f3.cancel("f3")
    await measure("gather(cancelled future)", asyncio.gather(f3, val(1)))
    await measure("gather(cancelled future) return_exceptions",
                  asyncio.gather(f3, val(1), return_exceptions=True))

    ts = [asyncio.create_task(val(i)) for i in range(2)]
    await measure("wait(fresh immediate tasks)", asyncio.wait(ts))
    await measure("wait(done futures)", asyncio.wait([f1, f2]))
    p = loop.create_future()
    await measure("wait([pending, done], FIRST_COMPLETED)",
                  asyncio.wait([p, f1], return_when=asyncio.FIRST_COMPLETED))
    await measure("wait([pending], timeout=0)", asyncio.wait([p], timeout=0))
    await measure("wait([pending, done], timeout=0, FIRST_EXCEPTION)",
                  asyncio.wait([p, f1], timeout=0, return_when=asyncio.FIRST_EXCEPTION))
    ts = [asyncio.create_task(yield_then(i)) for i in range(2)]
    await measure("wait(2 yielding tasks, FIRST_COMPLETED)",
                  asyncio.wait(ts, return_when=asyncio.FIRST_COMPLETED))
    await measure("wait([gather(c, c)])", asyncio.wait([asyncio.gather(val(1), val(2))]))
    ts = [asyncio.create_task(fail("z")), asyncio.create_task(yield_then(1))]
    await measure("wait([failing task, yielding task], FIRST_EXCEPTION)",
                  asyncio.wait(ts, return_when=asyncio.FIRST_EXCEPTION))
    ts[0].exception()
    ts = [asyncio.create_task(yield_then(i)) for i in range(3)]
    s = T.n
    pend = ts
    rounds = 0
    while pend:
        done, pend = await asyncio.wait(pend, return_when=asyncio.FIRST_COMPLETED)
        rounds += 1
    print(f"drain 3 yielding tasks: rounds={rounds} iterations={T.n - s}")
    p.set_result(0)
    T.stop()


run(main())
