# The seed's gather program, cancelling one group (the seed's "All tasks in a group can be
# cancelled by calling group2.cancel()"): the group's pending children are cancelled, the
# outer gather fails with CancelledError (R34, R36), the other groups keep running and
# finish in later run_until_complete calls.
import asyncio

from gw_strict import msg, new_loop

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
    try:
        await asyncio.sleep(DELAYS[tag])
    except asyncio.CancelledError as e:
        print("x", tag, f"CancelledError({msg(e)!r}) t={loop.time()}")
        raise
    print("<", tag, f"t={loop.time()}")
    return tag


asyncio.set_event_loop(new_loop())
loop = asyncio.get_event_loop()

group1 = asyncio.gather(*[coro("group 1.{}".format(i)) for i in range(1, 6)])
group2 = asyncio.gather(*[coro("group 2.{}".format(i)) for i in range(1, 4)])
group3 = asyncio.gather(*[coro("group 3.{}".format(i)) for i in range(1, 10)])

all_groups = asyncio.gather(group1, group2, group3)


def cancel_group2():
    print(f"group2.cancel() -> {group2.cancel()} t={loop.time()} done={group2.done()}")


loop.call_later(1.4, cancel_group2)

try:
    results = loop.run_until_complete(all_groups)
    print(results)
except asyncio.CancelledError as e:
    print(f"run_until_complete raised CancelledError({msg(e)!r}) t={loop.time()}")
print(f"group1.done()={group1.done()} group3.done()={group3.done()}")
print(f"group2.done()={group2.done()} cancelled={group2.cancelled()} "
      f"exception={type(group2.exception()).__name__}")
print(f"all_groups.done()={all_groups.done()} cancelled={all_groups.cancelled()} "
      f"exception={type(all_groups.exception()).__name__}")
print(f"group2.cancel() again -> {group2.cancel()} all_groups.cancel() -> {all_groups.cancel()}")
print(f"group1 -> {loop.run_until_complete(group1)} t={loop.time()}")
print(f"group3 -> {loop.run_until_complete(group3)} t={loop.time()}")
loop.close()
