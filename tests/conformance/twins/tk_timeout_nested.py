# Nested timeout scopes (R59-R61): only the scope whose deadline fired converts the
# CancelledError into TimeoutError; the inner scopes let it through; an outside cancel is
# never converted; cancel counts come back to their value at entry. No two deadlines are
# equal (the order of equal timers is not specified).
import asyncio

from vtloop import run


async def main():
    loop = asyncio.get_running_loop()
    me = asyncio.current_task()

    # A: the outer deadline comes first: the inner scope sees CancelledError
    try:
        async with asyncio.timeout(0.25) as outer:
            try:
                async with asyncio.timeout(0.5) as inner:
                    await asyncio.sleep(10)
            except asyncio.CancelledError:
                print(f"A: inner scope let CancelledError through at {loop.time()}")
                raise
    except TimeoutError:
        print(f"A: outer TimeoutError expired={outer.expired()},{inner.expired()} "
              f"cancelling={me.cancelling()}")

    # B: the inner deadline comes first: handled inside, the outer goes on
    async with asyncio.timeout(1) as outer:
        try:
            async with asyncio.timeout(0.25) as inner:
                await asyncio.sleep(10)
        except TimeoutError:
            print(f"B: inner TimeoutError at {loop.time()}")
        await asyncio.sleep(0.125)
    print(f"B: outer finished at {loop.time()} expired={outer.expired()},{inner.expired()}")

    # C: both fire (inner first, outer while the inner's handler sleeps)
    try:
        async with asyncio.timeout(0.5) as outer:
            try:
                async with asyncio.timeout(0.25) as inner:
                    await asyncio.sleep(10)
            except TimeoutError:
                print(f"C: inner TimeoutError at {loop.time()}, sleeping on")
                await asyncio.sleep(10)
    except TimeoutError:
        print(f"C: outer TimeoutError at {loop.time()} expired={outer.expired()},{inner.expired()}")

    # D: three levels, the middle deadline first
    try:
        async with asyncio.timeout(0.75) as t1:
            try:
                async with asyncio.timeout(0.25) as t2:
                    try:
                        async with asyncio.timeout(0.5) as t3:
                            await asyncio.sleep(10)
                    except asyncio.CancelledError:
                        print(f"D: innermost saw CancelledError at {loop.time()}")
                        raise
            except TimeoutError:
                print(f"D: middle TimeoutError at {loop.time()}")
            await asyncio.sleep(0.125)
        print(f"D: done at {loop.time()} expired={t1.expired()},{t2.expired()},{t3.expired()}")
    except TimeoutError:
        print("D: outer TimeoutError (wrong)")

    # E: an outside cancel inside a scope that has not expired stays a CancelledError
    async def victim():
        try:
            async with asyncio.timeout(1) as cm:
                await asyncio.sleep(10)
        except asyncio.CancelledError:
            print(f"E: CancelledError at {loop.time()} expired={cm.expired()}")
            raise

    t = asyncio.create_task(victim())
    await asyncio.sleep(0.25)
    t.cancel()
    try:
        await t
    except asyncio.CancelledError:
        print(f"E: victim cancelled={t.cancelled()}")

    # F: the scope expires and an outside cancel arrives in its cleanup: CancelledError
    async def victim2():
        try:
            async with asyncio.timeout(0.25) as cm:
                try:
                    await asyncio.sleep(10)
                except asyncio.CancelledError:
                    print(f"F: scope cancelled at {loop.time()}, cleanup")
                    await asyncio.sleep(0.5)
                    raise
        except TimeoutError:
            print("F: TimeoutError (wrong)")
        except asyncio.CancelledError:
            print(f"F: CancelledError at {loop.time()} expired={cm.expired()} "
                  f"cancelling={asyncio.current_task().cancelling()}")
            raise

    t = asyncio.create_task(victim2())
    await asyncio.sleep(0.5)
    t.cancel()
    try:
        await t
    except asyncio.CancelledError:
        print(f"F: victim cancelled={t.cancelled()}")

    # G: wait_for inside a timeout scope and the other way round
    try:
        async with asyncio.timeout(0.5):
            await asyncio.wait_for(asyncio.sleep(10), 0.25)
    except TimeoutError:
        print(f"G: TimeoutError at {loop.time()} (from wait_for)")
    try:
        async def scoped():
            async with asyncio.timeout(0.5):
                await asyncio.sleep(10)
        await asyncio.wait_for(scoped(), 0.25)
    except TimeoutError:
        print(f"G: TimeoutError at {loop.time()} (from the outer wait_for)")
    print(f"end cancelling={me.cancelling()}")


run(main())
