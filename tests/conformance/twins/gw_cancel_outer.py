# The seed's gather program, cancelling the outer group (the seed's "or even
# all_groups.cancel()"): every pending child of every group is cancelled with the message;
# no gather ends cancelled(), each holds a CancelledError (R36, R38). Then the same with
# all_groups.cancel() before the loop ever ran: no child body runs at all (R22).
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


def make_groups():
    group1 = asyncio.gather(*[coro("group 1.{}".format(i)) for i in range(1, 6)])
    group2 = asyncio.gather(*[coro("group 2.{}".format(i)) for i in range(1, 4)])
    group3 = asyncio.gather(*[coro("group 3.{}".format(i)) for i in range(1, 10)])
    return group1, group2, group3, asyncio.gather(group1, group2, group3)


def report(groups, all_groups):
    for i, g in enumerate(groups, 1):
        print(f"group{i}: done={g.done()} cancelled={g.cancelled()} "
              f"exception=CancelledError({msg(g.exception())!r})")
    print(f"all_groups: done={all_groups.done()} cancelled={all_groups.cancelled()} "
          f"exception=CancelledError({msg(all_groups.exception())!r})")


print("A: all_groups.cancel('stop') at t=1.4")
g1, g2, g3, all_groups = make_groups()


def cancel_all():
    print(f"all_groups.cancel('stop') -> {all_groups.cancel('stop')} t={loop.time()}")


loop.call_later(1.4, cancel_all)
try:
    print(loop.run_until_complete(all_groups))
except asyncio.CancelledError as e:
    print(f"run_until_complete raised CancelledError({msg(e)!r}) t={loop.time()}")
report((g1, g2, g3), all_groups)
print(f"all_groups.cancel() again -> {all_groups.cancel()}")

print("B: all_groups.cancel('early') before the loop runs")
g1, g2, g3, all_groups = make_groups()
print(f"all_groups.cancel('early') -> {all_groups.cancel('early')}")
try:
    print(loop.run_until_complete(all_groups))
except asyncio.CancelledError as e:
    print(f"run_until_complete raised CancelledError({msg(e)!r}) t={loop.time()}")
report((g1, g2, g3), all_groups)
loop.close()
