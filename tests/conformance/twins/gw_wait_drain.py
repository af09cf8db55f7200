# The drain loop `while pending: done, pending = await wait(pending, FIRST_COMPLETED)`
# over tasks finishing in a scrambled order (R42, R45): every task reported exactly once,
# batches of tasks finishing in the same iteration, failures reported not raised; then a
# drain with FIRST_EXCEPTION and a timeout; an old pending set kept from the first round.
# done/pending are sets in CPython: printed in input order (the C++ order).
import asyncio

from gw_strict import run

loop = None
N = 48


async def job(i, d, fail):
    if d > 0:
        await asyncio.sleep(d)
    if fail:
        raise ValueError(str(i))
    return i


def fmt(t):
    if t.cancelled():
        return "C"
    e = t.exception()
    return f"E{e.args[0]}" if e is not None else str(t.result())


def make(n, immediate_every):
    tasks = []
    for i in range(n):
        d = 0 if i % immediate_every == 0 else ((i * 29) % 53 + 1) / 256
        tasks.append(asyncio.create_task(job(i, d, i % 7 == 3)))
    return tasks


async def main():
    global loop
    loop = asyncio.get_running_loop()
    print("A: FIRST_COMPLETED")
    tasks = make(N, 11)
    pending = tasks
    first_pending = None
    rounds = 0
    seen = []
    while pending:
        done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
        rounds += 1
        if first_pending is None:
            first_pending = set(pending)
        batch = [t for t in tasks if t in done]
        seen += batch
        print(f"  t={loop.time()} done=[{' '.join(fmt(t) for t in batch)}] pending={len(pending)}")
    print(f"  rounds={rounds} reported={len(seen)} unique={len(set(seen))}")
    print(f"  first pending set still: {len(first_pending)} "
          f"[{' '.join(str(tasks.index(t)) for t in tasks if t in first_pending)}]")

    for label, timeout, mode, every in (("B", 0.05, asyncio.FIRST_EXCEPTION, 13),
                                         ("C", 0.03, asyncio.ALL_COMPLETED, 17)):
        print(f"{label}: {mode}, timeout={timeout}")
        tasks = make(N, every)
        pending = tasks
        while pending:
            t0 = loop.time()
            done, pending = await asyncio.wait(pending, timeout=timeout, return_when=mode)
            batch = [t for t in tasks if t in done]
            print(f"  t={loop.time()} after {loop.time() - t0} "
                  f"done=[{' '.join(fmt(t) for t in batch)}] pending={len(pending)}")


run(main())
