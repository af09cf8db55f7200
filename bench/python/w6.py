"""W6: two tasks hand a token back and forth, N hand-offs (N/2 round trips), through an
Event pair (--variant event, W6e) or a Queue(maxsize=1) pair (--variant queue, W6q).
Figure: ns per hand-off. Twin of bench/w6.cpp."""
import asyncio
import json
import sys

from common import now_ns, parse_args, peak_rss_mib


async def w6e(n, out):
    rounds = n // 2
    ea, eb = asyncio.Event(), asyncio.Event()
    count = 0

    async def ping():
        nonlocal count
        for _ in range(rounds):
            eb.set()
            await ea.wait()
            ea.clear()
            count += 1

    async def pong():
        for _ in range(rounds):
            await eb.wait()
            eb.clear()
            ea.set()

    t0 = now_ns()
    await asyncio.gather(ping(), pong())
    t1 = now_ns()
    assert count == rounds
    out["value"] = (t1 - t0) / (2 * rounds)


async def w6q(n, out):
    rounds = n // 2
    ab, ba = asyncio.Queue(maxsize=1), asyncio.Queue(maxsize=1)

    async def ping():
        v = None
        for i in range(rounds):
            await ab.put(i)
            v = await ba.get()
        return v

    async def pong():
        for _ in range(rounds):
            await ba.put(await ab.get())

    t0 = now_ns()
    v, _ = await asyncio.gather(ping(), pong())
    t1 = now_ns()
    assert v == rounds - 1
    out["value"] = (t1 - t0) / (2 * rounds)


def main():
    n, seed, variant = parse_args(1_000_000)
    queue = variant == "queue"
    if variant not in ("", "event", "queue"):
        sys.exit("--variant event|queue")
    out = {"workload": "W6q" if queue else "W6e", "n": n,
           "impl": "CPython " + sys.version.split()[0], "metric": "ns_per_handoff",
           "variant": "queue" if queue else "event"}
    asyncio.run((w6q if queue else w6e)(n, out))
    out["peak_rss_mib"] = peak_rss_mib()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
