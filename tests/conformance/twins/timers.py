# Timers with distinct deadlines: firing order, loop.time() at each, when(), cancelled(),
# cancellation before and after firing, cancelling one timer from another, and the heap
# clean-up of R2.1 (more than 100 timers, more than half of them cancelled).
import asyncio

from vtloop import new_loop

loop = new_loop()
fired = []


def make(name):
    def cb():
        fired.append(name)
        print(f"{name} fired t={loop.time()}")
    return cb


# 1. scheduled out of order, fire in deadline order
hs = {}
for name, d in [("d0.3", 0.3), ("d0.1", 0.1), ("d0.7", 0.7), ("d0.2", 0.2), ("d0.5", 0.5)]:
    hs[name] = loop.call_later(d, make(name))
print(f"when: {[hs[k].when() for k in sorted(hs)]}")
# 2. cancel one before it fires; a cancelled handle reports cancelled()
hs["d0.2"].cancel()
print(f"d0.2 cancelled={hs['d0.2'].cancelled()} d0.3 cancelled={hs['d0.3'].cancelled()}")


# 3. a timer cancels a later one; cancelling an already-fired handle does nothing
def canceller():
    print(f"canceller t={loop.time()}: cancel d0.7, cancel d0.1 (fired)")
    hs["d0.7"].cancel()
    hs["d0.1"].cancel()
    print(f"  d0.7 cancelled={hs['d0.7'].cancelled()} d0.1 cancelled={hs['d0.1'].cancelled()}")


loop.call_at(0.4, canceller)


# 4. timers scheduled from a timer callback, relative to the current virtual time
def chain(n):
    print(f"chain {n} t={loop.time()}")
    if n < 4:
        loop.call_later(0.1 * (n + 1), chain, n + 1)


loop.call_at(0.8, chain, 0)
# 5. a long delay, then an earlier one scheduled later: the clock jumps in order
loop.call_later(3.0, make("d3.0"))
loop.call_later(2.5, make("d2.5"))
loop.call_at(3.5, loop.stop)
loop.run_forever()
print(f"phase 1 done t={loop.time()} fired={fired}")

# 6. 150 timers at distinct deadlines, 110 cancelled: the heap is rebuilt without them,
# the survivors fire in order and the clock only stops at survivors' deadlines.
base = loop.time()
handles = [loop.call_at(base + 1 + i / 100, (lambda i=i: fired.append(i))) for i in range(150)]
for i, h in enumerate(handles):
    if i % 4 != 0 and i < 147:
        h.cancel()
fired.clear()
loop.call_at(base + 3, loop.stop)
loop.run_forever()
print(f"phase 2: fired {len(fired)} survivors in order: {fired == sorted(fired)} first={fired[:5]} last={fired[-4:]} t={loop.time()}")

# 7. every timer cancelled: nothing fires, the clock jumps straight to the stop timer
handles = [loop.call_later(1 + i, make(f"never{i}")) for i in range(5)]
for h in handles:
    h.cancel()
loop.call_later(10, loop.stop)
t0 = loop.time()
loop.run_forever()
print(f"phase 3: t advanced by {loop.time() - t0}")
loop.close()
