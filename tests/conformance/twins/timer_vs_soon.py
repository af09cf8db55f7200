# call_soon vs call_later(0) vs call_at(past) (R2, R3, R5; docs/semantics.md e13), on a bare
# loop driven by run_forever. A timer due "now" runs in the same iteration as the
# callbacks already queued, after them, and before what they queue.
from vtloop import new_loop

loop = new_loop()


def L(s):
    return lambda: print(f"{s} t={loop.time()}")


loop.call_later(0, L("call_later(0)"))
loop.call_soon(L("call_soon A"))
loop.call_at(-5, L("call_at(past)"))
loop.call_soon(L("call_soon B"))


def first():
    print(f"first (iter1) t={loop.time()}")
    loop.call_soon(L("soon-from-first"))
    loop.call_later(0, L("later0-from-first"))
    loop.call_at(loop.time() - 1, L("at-past-from-first"))


loop.call_soon(first)
loop.call_at(1.0, L("at1.0"))
loop.call_at(1.0 + 1e-12, L("at1.0+1e-12 (within clock resolution)"))
loop.call_at(1.0 + 2e-9, L("at1.0+2e-9 (beyond clock resolution)"))


def at15():
    print(f"at1.5 t={loop.time()}")
    loop.call_soon(L("soon-from-at1.5"))
    loop.call_later(0.25, L("later0.25-from-at1.5"))


loop.call_at(1.5, at15)


def at2():
    print(f"at2.0 t={loop.time()}")
    loop.call_soon(L("soon-from-at2.0 (queued in the stopping iteration: runs in the next run)"))
    loop.stop()


loop.call_at(2.0, at2)
print(f"before run_forever t={loop.time()}")
loop.run_forever()
print(f"after run_forever t={loop.time()}")
# The handle queued by the stopping iteration runs first in the next run.
loop.call_soon(loop.stop)
loop.run_forever()
print(f"after second run_forever t={loop.time()}")
loop.close()
