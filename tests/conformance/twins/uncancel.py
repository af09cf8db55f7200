# cancelling() / uncancel() (R20, R21, R25; docs/semantics.md e09 C/D/J): catching
# CancelledError keeps the count; uncancel() decrements it and, in 3.13, at 0 also drops
# a pending must-cancel, even one requested before the task started.
import asyncio

from vtloop import Ticker, msg, run

T = None


async def main():
    global T
    loop = asyncio.get_running_loop()
    T = Ticker(loop)

    # A: catch and continue -> not cancelled; the count stays 1
    async def resilient():
        try:
            await asyncio.sleep(1)
        except asyncio.CancelledError:
            print(f"A: caught; cancelling inside={asyncio.current_task().cancelling()} @{T.n}")
        await asyncio.sleep(0)
        return "survived"

    t = asyncio.create_task(resilient())
    await asyncio.sleep(0)
    t.cancel()
    r = await t
    print(f"A: result={r} cancelled={t.cancelled()} cancelling after finish={t.cancelling()} @{T.n}")

    # B: uncancel inside the handler
    async def unc():
        try:
            await asyncio.sleep(1)
        except asyncio.CancelledError:
            print(f"B: uncancel() -> {asyncio.current_task().uncancel()}")
        return "ok"

    t = asyncio.create_task(unc())
    await asyncio.sleep(0)
    t.cancel()
    r = await t
    print(f"B: result={r} cancelling={t.cancelling()} uncancel at 0 -> {t.uncancel()} @{T.n}")

    # C: 3.13: cancel()+uncancel() while the task's wake-up is already scheduled -> 42
    g = loop.create_future()

    async def jbody():
        await g
        return 42

    t = asyncio.create_task(jbody())
    await asyncio.sleep(0)
    g.set_result(None)  # the task's wake-up is now queued
    print(f"C: cancel -> {t.cancel()} cancelling={t.cancelling()} uncancel -> {t.uncancel()}")
    try:
        print(f"C: result {await t} @{T.n}")
    except asyncio.CancelledError:
        print("C: still CancelledError")

    # D: cancel before the first step, then uncancel: the body runs normally (3.13)
    ran = []

    async def body():
        ran.append(T.n)
        await asyncio.sleep(0)
        return "ran"

    t = asyncio.create_task(body())
    t.cancel("early")
    print(f"D: cancelling={t.cancelling()} uncancel -> {t.uncancel()}")
    print(f"D: result={await t} ran at @{ran[0]} cancelled={t.cancelled()} @{T.n}")

    # E: uncancel does not revive a future that was already cancelled by the forward
    async def parked():
        try:
            await asyncio.sleep(5)
        except asyncio.CancelledError as e:
            print(f"E: parked saw CancelledError({msg(e)!r}) cancelling={asyncio.current_task().cancelling()}")
            raise

    t = asyncio.create_task(parked())
    await asyncio.sleep(0)
    print(f"E: cancel -> {t.cancel('fwd')} uncancel -> {t.uncancel()}")
    try:
        await t
    except asyncio.CancelledError as e:
        print(f"E: await -> {msg(e)!r} cancelled={t.cancelled()} @{T.n}")

    # F: two requests while parked: the second sets must-cancel; one catch absorbs both
    async def twice():
        try:
            await asyncio.sleep(5)
        except asyncio.CancelledError as e:
            print(f"F: caught {msg(e)!r} cancelling={asyncio.current_task().cancelling()}")
        await asyncio.sleep(0)
        print(f"F: next await went through; uncancel -> {asyncio.current_task().uncancel()}"
              f", {asyncio.current_task().uncancel()}, {asyncio.current_task().uncancel()}")
        return "done"

    t = asyncio.create_task(twice())
    await asyncio.sleep(0)
    print(f"F: cancel('a') -> {t.cancel('a')} cancel('b') -> {t.cancel('b')}")
    print(f"F: result={await t} cancelling={t.cancelling()} @{T.n}")

    # G: a task cancels itself and uncancels itself before awaiting: no cancellation (3.13)
    async def selfie():
        me = asyncio.current_task()
        me.cancel()
        print(f"G: after self-cancel cancelling={me.cancelling()} uncancel -> {me.uncancel()}")
        await asyncio.sleep(0)
        return 7

    t = asyncio.create_task(selfie())
    print(f"G: result={await t} cancelled={t.cancelled()} @{T.n}")

    # H: two requests, one uncancel: must-cancel stays, the next step raises. Nothing to
    # forward to (the task is between two sleep(0)), so each request overwrites the
    # message: the last one wins.
    async def h_body():
        try:
            await asyncio.sleep(0)
            await asyncio.sleep(0)
            return "no"
        except asyncio.CancelledError as e:
            return f"caught {msg(e)!r} cancelling={asyncio.current_task().cancelling()}"

    t = asyncio.create_task(h_body())
    await asyncio.sleep(0)  # t is at its first sleep(0); its next step is queued
    print(f"H: cancel x2 -> {t.cancel('h1')}, {t.cancel('h2')}; uncancel -> {t.uncancel()}")
    print(f"H: {await t} @{T.n}")
    T.stop()


run(main())
