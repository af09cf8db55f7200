"""The seed's asyncio.gather program for CPython 3.13, same shape as ../seed_gather.cpp.
Options: --seed N, --virtual-time, --cancel group2|all."""
import argparse
import asyncio
import random
from pprint import pprint

from virtual_time import VirtualTimeLoop

p = argparse.ArgumentParser()
p.add_argument("--seed", type=int)
p.add_argument("--virtual-time", action="store_true")
p.add_argument("--cancel", choices=["group2", "all"])
args = p.parse_args()
random.seed(args.seed)


async def coro(tag):
    print(">", tag)
    await asyncio.sleep(random.uniform(1, 3))
    print("<", tag)
    return tag


# asyncio.get_event_loop() warns when it has to make the loop (3.12+): make it explicitly.
loop = VirtualTimeLoop() if args.virtual_time else asyncio.new_event_loop()
asyncio.set_event_loop(loop)

group1 = asyncio.gather(*[coro("group 1.{}".format(i)) for i in range(1, 6)])
group2 = asyncio.gather(*[coro("group 2.{}".format(i)) for i in range(1, 4)])
group3 = asyncio.gather(*[coro("group 3.{}".format(i)) for i in range(1, 10)])

all_groups = asyncio.gather(group1, group2, group3)

if args.cancel == "group2":
    loop.call_later(1.5, lambda: print("group2.cancel() ->", group2.cancel()))
elif args.cancel == "all":
    loop.call_later(1.5, lambda: print("all_groups.cancel() ->", all_groups.cancel()))

try:
    results = loop.run_until_complete(all_groups)
    loop.close()
    pprint(results)
except asyncio.CancelledError:
    print("all_groups raised CancelledError")
    print("group1 done=%d group2 done=%d group3 done=%d"
          % (group1.done(), group2.done(), group3.done()))
    loop.close()
