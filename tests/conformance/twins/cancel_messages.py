# Cancel messages (R13, R20, R21, R27; docs/semantics.md e09 B/H/I, e14 D): the message
# travels with the CancelledError; the first message wins; a cancelled task hands its
# message out once, later consumers get an empty one; a plain future keeps it.
import asyncio

from vtloop import Ticker, msg, run

T = None


async def sleeper(d):
    await asyncio.sleep(d)


async def catcher(label):
    try:
        await asyncio.sleep(10)
    except asyncio.CancelledError as e:
        print(f"  {label} saw CancelledError({msg(e)!r}) cancelling={asyncio.current_task().cancelling()}")
        raise


async def main():
    global T
    loop = asyncio.get_running_loop()
    # A: the message reaches the coroutine and the awaiter
    print("A")
    t = asyncio.create_task(catcher("A"))
    await asyncio.sleep(0)
    print(f"  cancel('hello') -> {t.cancel('hello')} cancelled={t.cancelled()} done={t.done()}")
    try:
        await t
    except asyncio.CancelledError as e:
        print(f"  await -> CancelledError({msg(e)!r}) cancelled={t.cancelled()}")
    # B: cancel twice: both True, count 2, the first message wins; cancel when done: False
    print("B")
    t = asyncio.create_task(catcher("B"))
    await asyncio.sleep(0)
    print(f"  cancel('one') -> {t.cancel('one')}, cancel('two') -> {t.cancel('two')}, cancelling={t.cancelling()}")
    try:
        await t
    except asyncio.CancelledError as e:
        print(f"  await -> {msg(e)!r}; cancel after done -> {t.cancel('three')}; cancelling={t.cancelling()}")
    # C: one-shot: the first consumer gets the message, later ones an empty one
    print("C")
    t = asyncio.create_task(sleeper(1))
    await asyncio.sleep(0)
    t.cancel("msg")
    try:
        await t
    except asyncio.CancelledError as e:
        print(f"  await -> {msg(e)!r}")
    for i in range(2):
        try:
            t.result()
        except asyncio.CancelledError as e:
            print(f"  result() #{i + 1} -> {msg(e)!r}")
    try:
        t.exception()
    except asyncio.CancelledError as e:
        print(f"  exception() -> {msg(e)!r}")
    # D: one-shot, first consumer is result() (nobody awaited the task)
    print("D")
    t = asyncio.create_task(sleeper(1))
    await asyncio.sleep(0)
    t.cancel("first")
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    print(f"  done={t.done()} cancelled={t.cancelled()}")
    for what in ("exception", "result", "result"):
        try:
            getattr(t, what)()
        except asyncio.CancelledError as e:
            print(f"  {what}() -> {msg(e)!r}")
    # E: a plain future keeps its message for every consumer
    print("E")
    f = loop.create_future()
    print(f"  cancel('x') -> {f.cancel('x')}, again -> {f.cancel('y')}, cancelled={f.cancelled()}")
    for what in ("result", "result", "exception"):
        try:
            getattr(f, what)()
        except asyncio.CancelledError as e:
            print(f"  {what}() -> {msg(e)!r}")
    try:
        await f
    except asyncio.CancelledError as e:
        print(f"  await -> {msg(e)!r}")
    # F: no message at all
    print("F")
    t = asyncio.create_task(catcher("F"))
    await asyncio.sleep(0)
    t.cancel()
    try:
        await t
    except asyncio.CancelledError as e:
        print(f"  await -> {msg(e)!r} args-empty={not e.args}")
    # G: cancelling the future a task waits on: the task sees the future's message
    print("G")
    g = loop.create_future()

    async def wait_g():
        try:
            await g
        except asyncio.CancelledError as e:
            print(f"  task saw {msg(e)!r} cancelling={asyncio.current_task().cancelling()}")
            return "swallowed"

    t = asyncio.create_task(wait_g())
    await asyncio.sleep(0)
    g.cancel("from-future")
    print(f"  task result {await t!r} cancelled={t.cancelled()}")
    # H: two awaiters of one cancelled task: the first gets the message, the second not
    print("H")
    t = asyncio.create_task(sleeper(1))

    async def consumer(n):
        try:
            await t
        except asyncio.CancelledError as e:
            print(f"  consumer {n} -> {msg(e)!r}")

    cs = [asyncio.create_task(consumer(n)) for n in (1, 2)]
    await asyncio.sleep(0)
    t.cancel("shared")
    for c in cs:
        await c


run(main())
