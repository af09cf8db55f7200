# Event: waiters wake in the order they started waiting, one iteration after set(); a
# waiter arriving while the flag is up does not block; clear() with waiters. Barrier:
# two rounds of 3 parties with their indices, draining, reset and abort.
import asyncio

from vtloop import Ticker, run

T = None


async def ev_waiter(ev, name):
    r = await ev.wait()
    print(f"{name} woke {r} @{T.n} is_set={ev.is_set()}")


async def party(barrier, name, rounds):
    for r in range(rounds):
        i = await barrier.wait()
        print(f"{name} round {r} index {i} @{T.n} n_waiting={barrier.n_waiting}")


async def breakable(barrier, name):
    try:
        await barrier.wait()
        print(f"{name} passed @{T.n}")
    except asyncio.BrokenBarrierError as e:
        print(f"{name} BrokenBarrierError: {e} @{T.n} broken={barrier.broken}")


async def main():
    global T
    T = Ticker(asyncio.get_running_loop())
    ev = asyncio.Event()
    ws = [asyncio.create_task(ev_waiter(ev, f"w{i}")) for i in range(3)]
    await asyncio.sleep(0)
    ev.set()
    late = asyncio.create_task(ev_waiter(ev, "late"))
    ev.clear()
    print(f"set then clear @{T.n}")
    await asyncio.sleep(0)
    print(f"late done={late.done()} @{T.n}")
    ev.set()
    await asyncio.gather(*ws, late)
    print(f"event done @{T.n}")

    b = asyncio.Barrier(3)
    ts = [asyncio.create_task(party(b, n, 2)) for n in ("x", "y", "z")]
    await asyncio.gather(*ts)
    print(f"rounds done @{T.n} n_waiting={b.n_waiting} broken={b.broken}")

    b = asyncio.Barrier(3)
    ts = [asyncio.create_task(breakable(b, n)) for n in ("r1", "r2")]
    await asyncio.sleep(0)
    print(f"n_waiting={b.n_waiting} @{T.n}")
    await b.reset()
    await asyncio.gather(*ts)
    print(f"after reset n_waiting={b.n_waiting} broken={b.broken} @{T.n}")

    ts = [asyncio.create_task(breakable(b, n)) for n in ("a1", "a2")]
    await asyncio.sleep(0)
    await b.abort()
    await asyncio.gather(*ts)
    await breakable(b, "a3")
    T.stop()


run(main())
