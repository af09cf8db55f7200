# Future and Task state machine (R9, R14, R16, R28): the errors for results that are not
# there yet, for completing twice, for completing a task from outside, for a task
# awaiting itself or a future of another loop.
import asyncio
import re

from vtloop import msg, new_loop, run


def attempt(label, fn):
    try:
        r = fn()
        print(f"  {label} -> {r!r}")
    except asyncio.InvalidStateError as e:
        print(f"  {label} -> InvalidStateError({msg(e)!r})")
    except asyncio.CancelledError as e:
        print(f"  {label} -> CancelledError({msg(e)!r})")
    except RuntimeError as e:
        print(f"  {label} -> RuntimeError({msg(e)!r})")
    except ValueError as e:
        print(f"  {label} -> ValueError({msg(e)!r})")


def exc_text(e):
    return "None" if e is None else f"ValueError({msg(e)!r})"


async def main():
    loop = asyncio.get_running_loop()
    print("A: pending future")
    f = loop.create_future()
    print(f"  done={f.done()} cancelled={f.cancelled()} loop ok={f.get_loop() is loop}")
    attempt("result()", f.result)
    attempt("exception()", f.exception)
    print("B: finished with a result")
    f.set_result(5)
    attempt("result()", f.result)
    print(f"  exception() -> {exc_text(f.exception())}")
    attempt("set_result(6)", lambda: f.set_result(6))
    attempt("set_exception()", lambda: f.set_exception(ValueError("late")))
    attempt("cancel()", f.cancel)
    print(f"  await -> {await f} done={f.done()} cancelled={f.cancelled()}")
    print("C: finished with an exception")
    g = loop.create_future()
    g.set_exception(ValueError("bad"))
    attempt("result()", g.result)
    attempt("result() again", g.result)
    print(f"  exception() -> {exc_text(g.exception())}")
    attempt("set_result(1)", lambda: g.set_result(1))
    try:
        await g
    except ValueError as e:
        print(f"  await -> ValueError({msg(e)!r})")
    print("D: cancelled")
    h = loop.create_future()
    print(f"  cancel() -> {h.cancel()} again -> {h.cancel()}")
    attempt("result()", h.result)
    attempt("exception()", h.exception)
    attempt("set_result(1)", lambda: h.set_result(1))
    print("E: a task cannot be completed from outside")
    t = asyncio.create_task(asyncio.sleep(0))
    attempt("task.set_result(1)", lambda: t.set_result(1))
    attempt("task.set_exception()", lambda: t.set_exception(ValueError("x")))
    attempt("task.result() while pending", t.result)
    attempt("task.exception() while pending", t.exception)
    await t
    attempt("task.result() when done", t.result)
    print(f"  task.exception() when done -> {exc_text(t.exception())}")
    print("F: a task awaiting itself")

    async def selfawait():
        await asyncio.current_task()

    t = asyncio.create_task(selfawait())
    try:
        await t
    except RuntimeError as e:
        print(f"  RuntimeError({re.match(r'^.*?name=.[^\x27]*.', msg(e)).group(0)!r}...)")
    print("G: a future of another loop")
    other = new_loop()
    foreign = other.create_future()

    async def await_foreign():
        await foreign

    t = asyncio.create_task(await_foreign())
    try:
        await t
    except RuntimeError as e:
        m = msg(e)
        print(f"  RuntimeError: starts {m[:5]!r} ends {m[-30:]!r}")
    other.close()
    print("H: a done future awaited twice does not suspend; its result is kept")
    k = loop.create_future()
    loop.call_soon(k.set_result, [1, 2])
    print(f"  {await k} {await k} {k.result()}")


run(main())
