# Repeated run_until_complete on one loop with pending work carried over (R62, the seed's
# wait program): gathers and tasks started in one run finish in later runs; a gather made
# at module level between runs; run_until_complete on a gather that is already done; a
# wait() whose timeout ends one run while its inputs go on; close() at the end.
import asyncio

from gw_strict import msg, new_loop

asyncio.set_event_loop(new_loop())
loop = asyncio.get_event_loop()


async def leaf(tag, d):
    print(f"  > {tag} t={loop.time()}")
    await asyncio.sleep(d)
    print(f"  < {tag} t={loop.time()}")
    return tag


print("run 1: sleep(1) while a task and a gather start")
t1 = loop.create_task(leaf("t1", 3.0))
g = asyncio.gather(leaf("g1", 1.5), leaf("g2", 2.5), t1)
loop.run_until_complete(asyncio.sleep(1))
print(f"  t={loop.time()} g.done()={g.done()} t1.done()={t1.done()}")

print("run 2: wait([t1], timeout=0.75)")
done, pending = loop.run_until_complete(asyncio.wait([t1], timeout=0.75))
print(f"  t={loop.time()} done={len(done)} pending={len(pending)} g.done()={g.done()}")

print("run 3: a new gather, made between runs, including the old one")
g2 = asyncio.gather(leaf("h1", 0.125), g)
print(f"  g2.done()={g2.done()}")
print(f"  -> {loop.run_until_complete(g2)} t={loop.time()}")

print("run 4: the finished gathers again")
print(f"  g -> {loop.run_until_complete(g)} g2 -> {loop.run_until_complete(g2)} t={loop.time()}")

print("run 5: a failing gather; its sibling finishes in run 6")
g3 = asyncio.gather(leaf("k1", 0.25), asyncio.sleep(0.0625, result="x"),
                    loop.create_task(leaf("k2", 0.75)))


async def boom():
    await asyncio.sleep(0.125)
    raise ValueError("boom")


g4 = asyncio.gather(g3, boom())
try:
    loop.run_until_complete(g4)
except ValueError as e:
    print(f"  ValueError({msg(e)!r}) t={loop.time()} g3.done()={g3.done()}")
print("run 6")
print(f"  g3 -> {loop.run_until_complete(g3)} t={loop.time()}")
loop.close()
print(f"closed: {loop.is_closed()}")
