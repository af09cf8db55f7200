#!/usr/bin/env python3
"""Twin of bench/toolkit.cpp on CPython 3.13, and the table comparing both.

    python3 bench/python/toolkit.py --cxx build/bench/bench_toolkit   # both, and the table
    python3 bench/python/toolkit.py                                  # CPython figures only
    options: --reps R (default 5), --quick (N / 10 except as_completed, on both sides)

Figures (process CPU time, medians over R runs, each in a fresh asyncio.run):
  as_completed N    ms to drain N tasks through `async for t in as_completed(tasks)`, each
                    completion opening the next task's gate (random order), N = 1e3..16e3;
                    the growth exponent is fitted over N (1 = linear)
  as_completed_seq  the same, gates opened in creation order (no cache misses from
                    jumping between N task frames: the algorithmic growth alone)
  taskgroup         ns per task: `async with TaskGroup() as tg:` N x create_task(child(i))
  gather            ns per task: `await gather(*(child(i) for i in range(N)))`
  wait_for          ns per `await wait_for(immediate(), 10)`
  timeout           ns per `async with timeout(10): await immediate()`
"""
import argparse
import asyncio
import json
import math
import os
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import permutation  # noqa: E402  (mulberry32: the C++ side draws the same order)

now_ns = time.process_time_ns  # CPU time: the machine is shared (see bench/README.md)
AS_COMPLETED_N = [1000, 2000, 4000, 8000, 16000]


async def gated(gate, i):
    await gate
    return i


async def as_completed_strict(n, random_order=True):
    loop = asyncio.get_running_loop()
    gates = [loop.create_future() for _ in range(n)]
    tasks = [asyncio.create_task(gated(gates[i], i)) for i in range(n)]
    order = permutation(n, 42) if random_order else list(range(n))
    await asyncio.sleep(0)
    t0 = now_ns()
    it = asyncio.as_completed(tasks)
    opened = seen = 0
    if n:
        gates[order[opened]].set_result(None)
        opened += 1
    async for t in it:
        assert t.result() == order[seen]
        seen += 1
        if opened < n:
            gates[order[opened]].set_result(None)
            opened += 1
    t1 = now_ns()
    assert seen == n
    return (t1 - t0) / 1e6


async def as_completed_seq(n):
    return await as_completed_strict(n, random_order=False)


async def child(i):
    return i


async def taskgroup(n):
    t0 = now_ns()
    async with asyncio.TaskGroup() as tg:
        tasks = [tg.create_task(child(i)) for i in range(n)]
    s = sum(t.result() for t in tasks)
    t1 = now_ns()
    assert s == n * (n - 1) // 2
    return (t1 - t0) / n


async def gather(n):
    t0 = now_ns()
    r = await asyncio.gather(*(child(i) for i in range(n)))
    s = sum(r)
    t1 = now_ns()
    assert s == n * (n - 1) // 2
    return (t1 - t0) / n


async def immediate(i):
    return i


async def wait_for(n):
    s = 0
    t0 = now_ns()
    for i in range(n):
        s += await asyncio.wait_for(immediate(i), 10)
    t1 = now_ns()
    assert s == n * (n - 1) // 2
    return (t1 - t0) / n


async def timeout(n):
    s = 0
    t0 = now_ns()
    for i in range(n):
        async with asyncio.timeout(10):
            s += await immediate(i)
    t1 = now_ns()
    assert s == n * (n - 1) // 2
    return (t1 - t0) / n


# name, function, N on CPython (C++ runs larger N for the per-call figures), unit
CASES = [("as_completed", as_completed_strict, n, "ms") for n in AS_COMPLETED_N] + [
    ("as_completed_seq", as_completed_seq, n, "ms") for n in AS_COMPLETED_N] + [
    ("taskgroup", taskgroup, 100_000, "ns"),
    ("gather", gather, 100_000, "ns"),
    ("wait_for", wait_for, 200_000, "ns"),
    ("timeout", timeout, 200_000, "ns"),
]


def key(rec):
    return f"{rec['bench']} {rec['n']}" if rec["bench"].startswith("as_completed") else rec["bench"]


def measure(reps, scale):
    out = {}
    for name, fn, n, unit in CASES:
        if not name.startswith("as_completed"):
            n = max(2, int(n * scale))
        runs = [asyncio.run(fn(n)) for _ in range(reps)]
        rec = {"bench": name, "n": n, "unit": unit, "value": statistics.median(runs), "runs": runs}
        out[key(rec)] = rec
    return out


def exponent(recs):
    """Least-squares slope of log(time) over log(N)."""
    pts = [(math.log(r["n"]), math.log(r["value"])) for r in recs if r["value"] > 0]
    if len(pts) < 2:
        return float("nan")
    mx = sum(x for x, _ in pts) / len(pts)
    my = sum(y for _, y in pts) / len(pts)
    return sum((x - mx) * (y - my) for x, y in pts) / sum((x - mx) ** 2 for x, _ in pts)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cxx", help="the bench_toolkit executable (C++ side)")
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    scale = 0.1 if args.quick else 1.0
    cxx = {}
    if args.cxx:
        cmd = [args.cxx, "--reps", str(args.reps)] + (["--quick"] if args.quick else [])
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
        for line in out.splitlines():
            rec = json.loads(line)
            cxx[key(rec)] = rec
    py = measure(args.reps, scale)
    if not cxx:
        for rec in py.values():
            print(json.dumps(rec))
        return
    impl = "CPython " + sys.version.split()[0]
    print(f"{'figure':<24} {'unit':>4} {'asyncio-cpp':>12} {impl:>16} {'ratio':>8}")
    for k, p in py.items():
        c = cxx.get(k)
        if not c:
            continue
        ratio = p["value"] / c["value"] if c["value"] else float("inf")
        print(f"{k:<24} {p['unit']:>4} {c['value']:>12.3f} {p['value']:>16.3f} {ratio:>7.1f}x")
    for name in ("as_completed", "as_completed_seq"):
        ours = exponent([r for r in cxx.values() if r["bench"] == name])
        theirs = exponent([r for r in py.values() if r["bench"] == name])
        print(f"{name + ' growth':<24} {'exp':>4} {ours:>12.2f} {theirs:>16.2f}")
    print(f"(medians of {args.reps} runs; C++ N: "
          + ", ".join(f"{k}={v['n']}" for k, v in cxx.items() if not v["bench"].startswith("as_completed"))
          + "; CPython N: "
          + ", ".join(f"{k}={v['n']}" for k, v in py.items() if not v["bench"].startswith("as_completed"))
          + "; ratio = CPython / ours; growth: slope of log(ms) over log(N))")


if __name__ == "__main__":
    main()
