# asyncio.run's shutdown (R63): tasks left over when main returns are cancelled and
# waited for (their cleanup may await); a failure during that cleanup goes to the
# exception handler; callbacks and tasks queued meanwhile still get the loop's last
# iterations (shutdown_asyncgens, shutdown_default_executor). Leftovers are cancelled in
# all_tasks() (set) order, so what they report is sorted before printing.
import asyncio

from vtloop import msg, run

events = []


def handler(loop, ctx):
    print(f"  handler: {ctx['message']!r} exception={msg(ctx['exception'])!r} t={loop.time()}")


async def polite(name):
    try:
        await asyncio.sleep(100)
    except asyncio.CancelledError as e:
        events.append(f"{name} cancelled {msg(e)!r}")
        raise


async def slow_cleanup():
    try:
        await asyncio.sleep(100)
    except asyncio.CancelledError:
        await asyncio.sleep(0.5)
        events.append(f"slow_cleanup finished t={asyncio.get_running_loop().time()}")
        raise


async def failing_cleanup():
    try:
        await asyncio.sleep(100)
    except asyncio.CancelledError:
        raise ValueError("cleanup failed")


async def stubborn():
    try:
        await asyncio.sleep(100)
    except asyncio.CancelledError:
        events.append("stubborn swallowed the cancel")
    return "stubborn result"


async def late():
    events.append("late task started")
    await asyncio.sleep(0)
    events.append("late task second step")


async def spawns_late():
    try:
        await asyncio.sleep(100)
    except asyncio.CancelledError:
        asyncio.get_running_loop().create_task(late())
        asyncio.get_running_loop().call_soon(lambda: events.append("callback queued at cancel"))
        raise


async def main(fail):
    loop = asyncio.get_running_loop()
    loop.set_exception_handler(handler)
    for coro in (polite("p1"), polite("p2"), slow_cleanup(), failing_cleanup(), stubborn(), spawns_late()):
        asyncio.create_task(coro)
    await asyncio.sleep(1)
    print(f"  main ends t={loop.time()}")
    if fail:
        raise ValueError("main failed")
    return "main result"


print("run 1")
print(f"  -> {run(main(False))!r}")
for e in sorted(events):
    print(f"  {e}")
events.clear()
print("run 2: main raises")
try:
    run(main(True))
except ValueError as e:
    print(f"  -> ValueError({msg(e)!r})")
for e in sorted(events):
    print(f"  {e}")
