"""The seed's asyncio.wait program for CPython 3.13, same shape as ../seed_wait.cpp.
3.11+ refuses bare coroutines in wait(), so they are wrapped in tasks here; done/pending
are sets in Python, printed in input order to match the C++ program.
Options: --seed N, --virtual-time."""
import argparse
import asyncio
import random

from virtual_time import VirtualTimeLoop

p = argparse.ArgumentParser()
p.add_argument("--seed", type=int)
p.add_argument("--virtual-time", action="store_true")
args = p.parse_args()
random.seed(args.seed)


async def coro(tag):
    print(">", tag)
    await asyncio.sleep(random.uniform(0.5, 5))
    print("<", tag)
    return tag


loop = VirtualTimeLoop() if args.virtual_time else asyncio.new_event_loop()
asyncio.set_event_loop(loop)

tasks = [loop.create_task(coro(i)) for i in range(1, 11)]
order = {t: i for i, t in enumerate(tasks)}

print("Get first result:")
finished, unfinished = loop.run_until_complete(
    asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED))

for task in sorted(finished, key=order.get):
    print(task.result())
print("unfinished:", len(unfinished))

print("Get more results in 2 seconds:")
finished2, unfinished2 = loop.run_until_complete(
    asyncio.wait(unfinished, timeout=2))

for task in sorted(finished2, key=order.get):
    print(task.result())
print("unfinished2:", len(unfinished2))

print("Get all other results:")
finished3, unfinished3 = loop.run_until_complete(asyncio.wait(unfinished2))

for task in sorted(finished3, key=order.get):
    print(task.result())

loop.close()
