# Loop lifecycle and re-entry (R8, R62, R64; docs/semantics.md e12, e16): run_until_complete
# twice with a task carried over, handles queued by the final step, re-entry errors,
# stop() inside, close().
import asyncio

from vtloop import msg, new_loop

loop = new_loop()


# A: e16: the final step of main queues a child task and a callback; both still run
# before run_until_complete returns (they were queued before the stop callback)
async def child():
    print(f"  child ran t={loop.time()}")


async def first_main():
    loop.create_task(child())
    loop.call_soon(lambda: print("  call_soon cb ran"))
    print(f"  main running={loop.is_running()}")
    return "main result"


print("A")
print(f"  running={loop.is_running()} closed={loop.is_closed()}")
print(f"  1st run_until_complete -> {loop.run_until_complete(first_main())!r}")
loop.run_until_complete(asyncio.sleep(0))
print("  2nd run_until_complete done")
f = loop.create_future()
f.set_result(3)
print(f"  done future -> {loop.run_until_complete(f)}")


# B: a task left pending by one run_until_complete continues in the next
async def slow():
    print(f"  slow start t={loop.time()}")
    await asyncio.sleep(5)
    print(f"  slow end t={loop.time()}")
    return "slow"


print("B")
t = loop.create_task(slow())
loop.run_until_complete(asyncio.sleep(1))
print(f"  after 1st run: t={loop.time()} slow done={t.done()}")
print(f"  2nd run -> {loop.run_until_complete(t)!r} t={loop.time()}")


# C: the exception of the awaited coroutine comes out of run_until_complete
async def boom():
    await asyncio.sleep(0)
    raise ValueError("boom")


print("C")
try:
    loop.run_until_complete(boom())
except ValueError as e:
    print(f"  run_until_complete raised ValueError({msg(e)!r})")


# D: re-entry while running
async def nested():
    c = asyncio.sleep(0)
    try:
        loop.run_until_complete(c)
    except RuntimeError as e:
        print(f"  nested run_until_complete: RuntimeError({msg(e)!r})")
    c.close()
    # (No nested run_forever() here: in CPython 3.13.0 its failed setup still runs the
    # cleanup, which marks the running loop as not running. Not a behaviour to copy.)
    c = asyncio.sleep(0)
    try:
        asyncio.run(c)
    except RuntimeError as e:
        print(f"  asyncio.run inside a loop: RuntimeError({msg(e)!r})")
    c.close()
    try:
        loop.close()
    except RuntimeError as e:
        print(f"  close while running: RuntimeError({msg(e)!r})")
    other = new_loop()
    c = asyncio.sleep(0)
    try:
        other.run_until_complete(c)
    except RuntimeError as e:
        print(f"  another loop inside: RuntimeError({msg(e)!r})")
    c.close()
    other.close()
    return "nested done"


print("D")
print(f"  -> {loop.run_until_complete(nested())!r}")


# E: stop() inside: the future is not done yet; the task stays pending and continues at
# the next run
async def stopper():
    loop.stop()
    print(f"  stopper: stop() requested t={loop.time()}")
    await asyncio.sleep(1)
    print(f"  stopper resumed t={loop.time()}")
    return "stopper done"


print("E")
t = loop.create_task(stopper())
try:
    loop.run_until_complete(t)
except RuntimeError as e:
    print(f"  RuntimeError({msg(e)!r}) task done={t.done()}")
print(f"  again -> {loop.run_until_complete(t)!r} t={loop.time()}")


# F: stop() from a callback ends run_forever after the current iteration; callbacks queued
# during that iteration wait for the next run
def stop_cb():
    print("  stop_cb")
    loop.call_soon(lambda: print("  queued by stop_cb (next run)"))
    loop.stop()


print("F")
loop.call_soon(stop_cb)
loop.call_soon(lambda: print("  queued after stop_cb (same iteration)"))
loop.run_forever()
print("  run_forever returned")
loop.run_until_complete(asyncio.sleep(0))

# G: close() with a task still pending: the task is not cancelled; the closed loop refuses
# everything
print("G")
t = loop.create_task(asyncio.sleep(10))
loop.run_until_complete(asyncio.sleep(0))
loop.close()
print(f"  closed={loop.is_closed()} pending task done={t.done()} cancelled={t.cancelled()}")
for what, action in [
    ("run_until_complete", lambda c: loop.run_until_complete(c)),
    ("run_forever", lambda c: loop.run_forever()),
    ("call_soon", lambda c: loop.call_soon(print)),
    ("call_later", lambda c: loop.call_later(1, print)),
    ("call_at", lambda c: loop.call_at(1, print)),
    ("create_task", lambda c: loop.create_task(c)),
]:
    c = asyncio.sleep(0)
    try:
        action(c)
        print(f"  {what}: no error")
    except RuntimeError as e:
        print(f"  {what}: RuntimeError({msg(e)!r})")
    c.close()
loop.close()
print(f"  close() twice ok, time() still {loop.time()}")
