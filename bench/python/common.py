"""Helpers shared by the CPython twins of the workload programs (bench/common.hpp is
the C++ side): command line, clock, the suite's PRNG, memory figures, the JSON line.

Every script runs its workload under asyncio.run() on the default event loop and the
real clock, and prints one JSON object: {"workload", "n", "impl", "metric", "value", ...}.
"""
import asyncio
import json
import resource
import sys
import time

M32 = 0xFFFFFFFF


def now_ns():
    return time.perf_counter_ns()


def mulberry32(seed):
    """The suite's 32-bit PRNG (identical in every language)."""
    a = seed & M32
    while True:
        a = (a + 0x6D2B79F5) & M32
        t = ((a ^ (a >> 15)) * (a | 1)) & M32
        t = ((t + (((t ^ (t >> 7)) * (t | 61)) & M32)) & M32) ^ t
        yield (t ^ (t >> 14)) & M32


def durations_us(n, max_us, seed):
    """n durations uniform in [0, max_us) microseconds."""
    g = mulberry32(seed)
    return [(next(g) * max_us) >> 32 for _ in range(n)]


def permutation(n, seed):
    """A permutation of range(n): Fisher-Yates from the top down (as bench::permutation)."""
    g = mulberry32(seed)
    p = list(range(n))
    for i in range(n - 1, 0, -1):
        j = (next(g) * (i + 1)) >> 32
        p[i], p[j] = p[j], p[i]
    return p


def peak_rss_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB on Linux


def current_rss_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize()


def parse_args(default_n):
    """`script.py N [--seed S] [--variant V]` -> (n, seed, variant)."""
    args = sys.argv[1:]
    seed, variant = 42, ""
    if "--seed" in args:
        i = args.index("--seed")
        seed = int(args[i + 1])
        del args[i:i + 2]
    if "--variant" in args:
        i = args.index("--variant")
        variant = args[i + 1]
        del args[i:i + 2]
    n = int(float(args[0])) if args else default_n
    return n, seed, variant


def main(workload, metric, body, default_n):
    """Runs `body(n, seed, variant, out)` (a coroutine function filling `out`) and prints."""
    n, seed, variant = parse_args(default_n)
    out = {"workload": workload, "n": n,
           "impl": "CPython " + sys.version.split()[0], "metric": metric}
    asyncio.run(body(n, seed, variant, out))
    out["peak_rss_mib"] = peak_rss_mib()
    print(json.dumps(out))
