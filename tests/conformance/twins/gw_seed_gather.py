# The seed's gather program (seed/000_e14b23d663230d73.txt) with a fixed table of delays
# instead of random.uniform(1, 3): three groups gathered at module level (on
# get_event_loop()), then gathered together; run_until_complete, close, pprint.
import asyncio
from pprint import pprint

from gw_strict import new_loop

DELAYS = {
    "group 1.1": 2.25, "group 1.2": 1.125, "group 1.3": 2.875, "group 1.4": 1.5,
    "group 1.5": 2.0625,
    "group 2.1": 1.75, "group 2.2": 2.5625, "group 2.3": 1.0625,
    "group 3.1": 2.375, "group 3.2": 1.3125, "group 3.3": 2.9375, "group 3.4": 1.875,
    "group 3.5": 2.125, "group 3.6": 1.25, "group 3.7": 2.6875, "group 3.8": 1.5625,
    "group 3.9": 2.8125,
}


async def coro(tag):
    print(">", tag)
    await asyncio.sleep(DELAYS[tag])
    print("<", tag)
    return tag


asyncio.set_event_loop(new_loop())
loop = asyncio.get_event_loop()

group1 = asyncio.gather(*[coro("group 1.{}".format(i)) for i in range(1, 6)])
group2 = asyncio.gather(*[coro("group 2.{}".format(i)) for i in range(1, 4)])
group3 = asyncio.gather(*[coro("group 3.{}".format(i)) for i in range(1, 10)])

all_groups = asyncio.gather(group1, group2, group3)

results = loop.run_until_complete(all_groups)

loop.close()

pprint(results)
