"""CPython twin of the three core micro-benchmarks of bench/micro.cpp:

  task_create_run_await  `await create_task(trivial())`        (BM_TaskCreateRunAwait)
  sleep0_round_trip      `await asyncio.sleep(0)`              (BM_Sleep0RoundTrip)
  timer_schedule_fire    a timer callback that schedules the next with call_later
                         (one timer per loop iteration)        (BM_TimerScheduleFire)

Default event loop, real clock (a 0 s delay, so nothing sleeps; the C++ side uses the
virtual clock and 1 ms). Each figure is the median over `--batches` batches of ns per
operation. Prints one JSON object: {"impl", "figures": {name: ns}, "batch_ns": {...}}.

usage: core.py [--quick] [--batches B]
"""
import asyncio
import json
import statistics
import sys
import time


async def trivial():
    return 1


async def task_create_run_await(n):
    create_task = asyncio.create_task
    t0 = time.perf_counter_ns()
    for _ in range(n):
        await create_task(trivial())
    return time.perf_counter_ns() - t0


async def sleep0_round_trip(n):
    sleep = asyncio.sleep
    t0 = time.perf_counter_ns()
    for _ in range(n):
        await sleep(0)
    return time.perf_counter_ns() - t0


async def timer_schedule_fire(n):
    loop = asyncio.get_running_loop()
    done = loop.create_future()
    left = n

    def fire():
        nonlocal left
        left -= 1
        if left:
            loop.call_later(0, fire)
        else:
            done.set_result(None)

    t0 = time.perf_counter_ns()
    loop.call_later(0, fire)
    await done
    return time.perf_counter_ns() - t0


BENCHES = {  # name -> (coroutine function, operations per batch)
    "task_create_run_await": (task_create_run_await, 20_000),
    "sleep0_round_trip": (sleep0_round_trip, 50_000),
    "timer_schedule_fire": (timer_schedule_fire, 50_000),
}


async def run_all(batches, scale):
    figures, per_batch = {}, {}
    for name, (fn, n) in BENCHES.items():
        n = max(1000, int(n * scale))
        await fn(n // 10)  # warm-up
        xs = [await fn(n) / n for _ in range(batches)]
        per_batch[name] = xs
        figures[name] = statistics.median(xs)
    return figures, per_batch


def main():
    args = sys.argv[1:]
    quick = "--quick" in args
    batches = 3 if quick else 7
    if "--batches" in args:
        batches = int(args[args.index("--batches") + 1])
    figures, per_batch = asyncio.run(run_all(batches, 0.5 if quick else 1.0))
    print(json.dumps({"impl": "CPython " + sys.version.split()[0], "figures": figures,
                      "batch_ns": per_batch}))


if __name__ == "__main__":
    main()
