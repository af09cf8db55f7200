# The seed's wait program (seed/000_e14b23d663230d73.txt) with a fixed table of delays
# instead of random.uniform(0.5, 5): FIRST_COMPLETED, then timeout=2, then the rest, three
# run_until_complete calls on one loop with the tasks carried over.
# CPython 3.13 refuses bare coroutines in wait(), so they are wrapped in tasks here (the
# C++ twin passes the coroutines, as the seed does). done/pending are sets: they are
# printed in input order, which is the C++ order.
import asyncio

from gw_strict import new_loop

DELAYS = {1: 3.25, 2: 1.5, 3: 4.375, 4: 0.875, 5: 2.125, 6: 4.75, 7: 1.125, 8: 3.625,
          9: 2.5, 10: 0.625}


async def coro(tag):
    print(">", tag)
    await asyncio.sleep(DELAYS[tag])
    print("<", tag)
    return tag


asyncio.set_event_loop(new_loop())
loop = asyncio.get_event_loop()

tasks = [loop.create_task(coro(i)) for i in range(1, 11)]


def in_order(s):
    return sorted(s, key=tasks.index)


print("Get first result:")
finished, unfinished = loop.run_until_complete(
    asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED))

for task in in_order(finished):
    print(task.result())
print("unfinished:", len(unfinished))

print("Get more results in 2 seconds:")
finished2, unfinished2 = loop.run_until_complete(
    asyncio.wait(unfinished, timeout=2))

for task in in_order(finished2):
    print(task.result())
print("unfinished2:", len(unfinished2))

print("Get all other results:")
finished3, unfinished3 = loop.run_until_complete(asyncio.wait(unfinished2))

for task in in_order(finished3):
    print(task.result())

loop.close()
