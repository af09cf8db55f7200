# Exceptions escaping callbacks (R7, R12; docs/semantics.md e14 F): they go to the loop's
# exception handler (message "Exception in callback ..."), synchronously, and the loop
# carries on with the rest of the iteration. A failed task nobody looked at is reported
# as "Task exception was never retrieved" when its last reference goes.
import asyncio

from vtloop import Ticker, msg, run

T = None


def handler(loop, ctx):
    exc = ctx.get("exception")
    head = ctx["message"]
    if head.startswith("Exception in callback"):
        head = "Exception in callback"  # CPython appends the callback's repr
    what = f"{msg(exc)!r}" if exc is not None else "None"
    print(f"  handler: {head!r} exception={what} @{T.n} t={loop.time()}")


def bad(label):
    def cb(*args):
        print(f"  {label} raising @{T.n} t={asyncio.get_running_loop().time()}")
        raise ValueError(label)
    return cb


async def fail():
    await asyncio.sleep(0)
    raise ValueError("lost")


async def main():
    global T
    loop = asyncio.get_running_loop()
    T = Ticker(loop)
    loop.set_exception_handler(handler)
    # A: call_soon callbacks: the one after the failing one still runs, same iteration
    print(f"A @{T.n}")
    loop.call_soon(bad("soon-1"))
    loop.call_soon(lambda: print(f"  next callback runs @{T.n}"))
    await asyncio.sleep(0)
    print(f"  main continues @{T.n}")
    T.stop()
    # B: a timer callback
    print("B")
    loop.call_later(0.5, bad("timer"))
    loop.call_later(0.75, lambda: print(f"  later timer runs t={loop.time()}"))
    await asyncio.sleep(1)
    T = Ticker(loop)
    # C: a done callback
    print(f"C @{T.n}")
    f = loop.create_future()
    f.add_done_callback(bad("done-cb"))
    f.add_done_callback(lambda _: print(f"  second done callback runs @{T.n}"))
    f.set_result(None)
    await asyncio.sleep(0)
    print(f"  main continues @{T.n}")
    # D: a failing task nobody awaits: nothing until its last reference goes
    print(f"D @{T.n}")
    t = asyncio.create_task(fail())
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    print(f"  task done={t.done()} (no report yet) @{T.n}")
    del t
    print(f"  after dropping the task @{T.n}")
    # E: a failed task whose exception was retrieved is not reported
    print(f"E @{T.n}")
    t = asyncio.create_task(fail())
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    print(f"  exception() -> {msg(t.exception())!r}")
    del t
    print(f"  after dropping the task @{T.n}")
    # F: call_exception_handler directly, without an exception
    print(f"F @{T.n}")
    loop.call_exception_handler({"message": "custom message"})
    # G: a handler that raises: the default handler reports it (on stderr), the loop goes on
    print(f"G @{T.n}")

    def broken(loop, ctx):
        print(f"  broken handler called for {msg(ctx['exception'])!r} @{T.n}")
        raise RuntimeError("handler bug")

    loop.set_exception_handler(broken)
    loop.call_soon(bad("soon-2"))
    await asyncio.sleep(0)
    loop.set_exception_handler(handler)
    print(f"  main continues @{T.n}")
    T.stop()


run(main())
