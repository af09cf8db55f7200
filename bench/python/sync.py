#!/usr/bin/env python3
"""Twin of bench/sync.cpp on CPython 3.13, and the table comparing both.

    python3 bench/python/sync.py --cxx build/bench/bench_sync   # both, and the table
    python3 bench/python/sync.py                               # CPython figures only
    options: --reps R (default 5), --quick (N / 10 on both sides)

Figures (medians over R runs, each in a fresh asyncio.run):
  w6_queue          W6: ns per hand-off through a Queue(maxsize=1) pair
  w6_event          W6: ns per hand-off through an Event pair
  lock_uncontended  ns per `await lock.acquire(); lock.release()` on a free lock
  lock_guard        ns per `async with lock: pass`
  to_thread         µs per `await asyncio.to_thread(noop)` round trip
"""
import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import time

now_ns = time.perf_counter_ns


async def w6_queue(n):
    rounds = n // 2
    ab, ba = asyncio.Queue(maxsize=1), asyncio.Queue(maxsize=1)

    async def pong():
        for _ in range(rounds):
            await ba.put(await ab.get())

    t0 = now_ns()
    t = asyncio.create_task(pong())
    last = None
    for i in range(rounds):
        await ab.put(i)
        last = await ba.get()
    await t
    t1 = now_ns()
    assert last == rounds - 1
    return (t1 - t0) / (2 * rounds)


async def w6_event(n):
    rounds = n // 2
    ea, eb = asyncio.Event(), asyncio.Event()

    async def pong():
        for _ in range(rounds):
            await eb.wait()
            eb.clear()
            ea.set()

    t0 = now_ns()
    t = asyncio.create_task(pong())
    for _ in range(rounds):
        eb.set()
        await ea.wait()
        ea.clear()
    await t
    t1 = now_ns()
    return (t1 - t0) / (2 * rounds)


async def lock_uncontended(n):
    lock = asyncio.Lock()
    t0 = now_ns()
    for _ in range(n):
        await lock.acquire()
        lock.release()
    t1 = now_ns()
    return (t1 - t0) / n


async def lock_guard(n):
    lock = asyncio.Lock()
    t0 = now_ns()
    for _ in range(n):
        async with lock:
            pass
    t1 = now_ns()
    return (t1 - t0) / n


def noop():
    pass


async def to_thread(n):
    await asyncio.to_thread(noop)
    t0 = now_ns()
    for _ in range(n):
        await asyncio.to_thread(noop)
    t1 = now_ns()
    return (t1 - t0) / n / 1000.0


# name, function, N (CPython), N (C++ side, for the table's notes), unit
CASES = [
    ("w6_queue", w6_queue, 200_000, "ns"),
    ("w6_event", w6_event, 200_000, "ns"),
    ("lock_uncontended", lock_uncontended, 1_000_000, "ns"),
    ("lock_guard", lock_guard, 1_000_000, "ns"),
    ("to_thread", to_thread, 5_000, "us"),
]


def measure(reps, scale):
    out = {}
    for name, fn, n, unit in CASES:
        n = max(2, int(n * scale))
        runs = [asyncio.run(fn(n)) for _ in range(reps)]
        out[name] = {"bench": name, "n": n, "unit": unit, "value": statistics.median(runs),
                     "runs": runs}
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cxx", help="the bench_sync executable (C++ side)")
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    scale = 0.1 if args.quick else 1.0
    cxx = {}
    if args.cxx:
        cmd = [args.cxx, "--reps", str(args.reps)] + (["--quick"] if args.quick else [])
        for line in subprocess.run(cmd, check=True, capture_output=True, text=True).stdout.splitlines():
            rec = json.loads(line)
            cxx[rec["bench"]] = rec
    py = measure(args.reps, scale)
    if not cxx:
        for rec in py.values():
            print(json.dumps(rec))
        return
    impl = "CPython " + sys.version.split()[0]
    print(f"{'figure':<18} {'unit':>4} {'asyncio-cpp':>12} {impl:>16} {'ratio':>8}")
    for name, _, _, unit in CASES:
        c, p = cxx.get(name), py[name]
        if not c:
            continue
        ratio = p["value"] / c["value"] if c["value"] else float("inf")
        print(f"{name:<18} {unit:>4} {c['value']:>12.2f} {p['value']:>16.2f} {ratio:>7.1f}x")
    print(f"(medians of {args.reps} runs; C++ N: "
          + ", ".join(f"{k}={v['n']}" for k, v in cxx.items())
          + "; CPython N: " + ", ".join(f"{k}={v['n']}" for k, v in py.items())
          + "; ratio = CPython / ours)")


if __name__ == "__main__":
    main()
