# Done callbacks (R10, R14, R19; docs/semantics.md e14 A/B): never called synchronously,
# scheduled with call_soon in registration order, interleaved with the wake-ups of the
# tasks awaiting the same future; add_done_callback on a done future; remove_done_callback.
import asyncio

from vtloop import Ticker, msg, run

T = None


def cb_a(fut):
    print(f"  cb_a result={fut.result()} @{T.n}")


def cb_b(fut):
    print(f"  cb_b result={fut.result()} @{T.n}")


async def waiter(f, n):
    v = await f
    print(f"  waiter {n} resumed with {v} @{T.n}")


async def main():
    global T
    loop = asyncio.get_running_loop()
    T = Ticker(loop)
    # A: waiters (registered when their first step runs) and plain callbacks (registered
    # at once) are called in registration order, one iteration after set_result.
    print(f"A @{T.n}")
    f = loop.create_future()
    f.add_done_callback(lambda fut: print(f"  early callback @{T.n}"))
    ts = [asyncio.create_task(waiter(f, i)) for i in (3, 1, 2)]
    await asyncio.sleep(0)
    f.add_done_callback(lambda fut: print(f"  late callback done={fut.done()} @{T.n}"))
    ts.append(asyncio.create_task(waiter(f, 4)))
    await asyncio.sleep(0)
    f.set_result("x")
    print(f"  set_result returned; callbacks not yet run @{T.n}")
    for t in ts:
        await t
    print(f"  all waiters done @{T.n}")
    # B: add_done_callback on a done future goes through call_soon too
    print(f"B @{T.n}")
    f2 = loop.create_future()
    f2.set_result(1)
    loop.call_soon(lambda: print(f"  call_soon queued before @{T.n}"))
    f2.add_done_callback(lambda fut: print(f"  callback on done future @{T.n}"))
    loop.call_soon(lambda: print(f"  call_soon queued after @{T.n}"))
    print(f"  add_done_callback returned @{T.n}")
    await asyncio.sleep(0)
    print(f"  main after sleep0 @{T.n}")
    # C: remove_done_callback removes every equal registration and counts them
    print(f"C @{T.n}")
    f3 = loop.create_future()
    f3.add_done_callback(cb_a)
    f3.add_done_callback(cb_b)
    f3.add_done_callback(cb_a)
    print(f"  removed cb_a x{f3.remove_done_callback(cb_a)}; again x{f3.remove_done_callback(cb_a)}")
    f3.set_result(3)
    await asyncio.sleep(0)
    # D: a task's done callbacks and its awaiters, and a callback added by a callback
    print(f"D @{T.n}")

    async def work():
        await asyncio.sleep(0)
        return 10

    t = asyncio.create_task(work())

    def outer_cb(task):
        print(f"  outer_cb result={task.result()} @{T.n}")
        task.add_done_callback(lambda _: print(f"  cb added by outer_cb @{T.n}"))

    t.add_done_callback(outer_cb)
    r = await t
    print(f"  main awaited task -> {r} @{T.n}")
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    # E: cancelled and failed futures also run their callbacks, one iteration later
    print(f"E @{T.n}")
    f4 = loop.create_future()
    f4.add_done_callback(lambda fut: print(f"  f4 cancelled={fut.cancelled()} @{T.n}"))
    f4.cancel("stop")
    f5 = loop.create_future()

    def on_f5(fut):
        print(f"  f5 exception message={msg(fut.exception())} @{T.n}")

    f5.add_done_callback(on_f5)
    f5.set_exception(ValueError("bad"))
    print(f"  cancel and set_exception returned @{T.n}")
    await asyncio.sleep(0)
    try:
        await f4
    except asyncio.CancelledError as e:
        print(f"  await f4 -> CancelledError({msg(e)!r}) @{T.n}")
    T.stop()


run(main())
