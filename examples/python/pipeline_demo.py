"""Twin of examples/pipeline_demo.cpp: a producer/consumer pipeline through a bounded
Queue. `--virtual-time` runs it on the virtual clock of tests/conformance/vtloop.py."""
import asyncio
import os
import sys
from dataclasses import dataclass


@dataclass
class Job:
    id: int
    cost: float


# Distinct costs: no two timers share a deadline (CPython orders such ties arbitrarily).
COSTS = [0.13, 0.21, 0.34, 0.05, 0.29, 0.17, 0.41, 0.08, 0.23, 0.31]
t0 = 0.0


def now():
    return asyncio.get_running_loop().time() - t0


async def producer(q, n):
    for i in range(n):
        job = Job(i, COSTS[i % 10])
        await q.put(job)
        print(f"[{now():.2f}] produced job {job.id} (cost {job.cost:.2f}), {q.qsize()} queued")


async def worker(name, q, done):
    while True:
        job = await q.get()
        await asyncio.sleep(job.cost)
        done.append(job.id)
        print(f"[{now():.2f}] {name} finished job {job.id}")
        q.task_done()


async def amain():
    global t0
    t0 = asyncio.get_running_loop().time()
    q = asyncio.Queue(maxsize=3)
    done = []
    workers = [asyncio.create_task(worker(name, q, done))
               for name in ("worker-1", "worker-2", "worker-3")]
    await producer(q, 10)
    await q.join()
    print(f"[{now():.2f}] all {len(done)} jobs done")
    for w in workers:
        w.cancel()
    await asyncio.gather(*workers, return_exceptions=True)
    print(f"[{now():.2f}] workers stopped")


if __name__ == "__main__":
    if sys.argv[1:] == ["--virtual-time"]:
        sys.path.insert(0, os.path.join(os.path.dirname(__file__), "../../tests/conformance"))
        from vtloop import run
        run(amain())
    else:
        asyncio.run(amain())
