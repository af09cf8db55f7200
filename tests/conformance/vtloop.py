"""A CPython 3.13 event loop on a virtual clock: the Python half of every twin.

A twin is a pair twins/<name>.cpp + twins/<name>.py that must print the same lines
(run_twin.py compares them). The C++ side runs on `EventLoop({.virtual_time = true})`;
the Python side runs on `VirtualTimeLoop` below, so both see the same clock:

* `loop.time()` starts at 0.0 and only moves when the loop would otherwise wait;
* when `_run_once` asks the selector to wait `timeout` seconds, the clock advances by
  exactly `timeout` (`vt += timeout`) and the selector polls without blocking. The C++
  loop computes the same `timeout = min(max(0, next_when - now), 86400)` and does
  `vtime_ += timeout`, so both sides perform the same float operations and print
  bit-identical times.

Everything else is stock CPython: `BaseEventLoop._run_once`, the C `_asyncio` Task and
Future. Only the selector and `time()` are replaced.

Helpers:
* `run(main)`: `asyncio.run(main)` on a virtual-time loop, the counterpart of
  `asyncio::run(main(), {.virtual_time = true})`.
* `new_loop()`: a fresh virtual-time loop for loop-level scripts (`run_until_complete`
  twice, `run_forever`, `close`), the counterpart of `EventLoop loop({.virtual_time = true})`.
* `Ticker`: counts loop iterations (a self-rescheduling `call_soon` callback).

Twins must not depend on the order of timers with equal deadlines (CPython's heap does not
promise one; the C++ loop is FIFO), nor on `all_tasks()` set order (sort it).
"""

import asyncio
import selectors
import sys

if sys.version_info[:2] != (3, 13):
    raise SystemExit(
        f"vtloop: the twins are checked against CPython 3.13, this is {sys.version.split()[0]}"
    )

# CPython: time.get_clock_info('monotonic').resolution on Linux; the C++ loop uses 1e-9.
CLOCK_RESOLUTION = 1e-09


class _VirtualSelector(selectors.DefaultSelector):
    """Never sleeps: a wait of `timeout` seconds advances the loop's virtual clock."""

    def __init__(self):
        super().__init__()
        self.loop = None  # set by VirtualTimeLoop

    def select(self, timeout=None):
        if timeout is None:
            # Nothing ready and no timer. Only the loop's self-pipe is registered, so
            # nothing can ever arrive: a deadlock, which the C++ loop would also hit.
            if len(self.get_map()) <= 1:
                raise RuntimeError("virtual-time loop would block forever")
            return super().select(None)
        if timeout > 0:
            self.loop._vt += timeout
        return super().select(0)


class VirtualTimeLoop(asyncio.SelectorEventLoop):
    def __init__(self):
        self._vt = 0.0
        selector = _VirtualSelector()
        super().__init__(selector=selector)
        selector.loop = self
        self._clock_resolution = CLOCK_RESOLUTION

    def time(self):
        return self._vt


def new_loop():
    """A fresh virtual-time loop (not set as the current loop)."""
    return VirtualTimeLoop()


def run(main):
    """`asyncio.run(main)` on a new VirtualTimeLoop (and set as the current loop, as
    `asyncio.run` does): the main task, then the Runner's shutdown — cancel the tasks left
    over and gather them, then `shutdown_asyncgens()` and `shutdown_default_executor()`,
    each run as a task (so the Task-N counter moves on by two, in C++ too)."""
    runner = asyncio.Runner(loop_factory=new_loop)
    try:
        asyncio.set_event_loop(runner.get_loop())
        return runner.run(main)
    finally:
        try:
            runner.close()
        finally:
            asyncio.set_event_loop(None)


class Ticker:
    """Counts loop iterations: a callback that re-queues itself with call_soon, so it
    runs once per iteration. While it ticks the loop is never idle, so the virtual clock
    does not advance: stop it before sleeping for a positive delay."""

    def __init__(self, loop):
        self.n = 0
        self.loop = loop
        self.h = loop.call_soon(self.tick)

    def tick(self):
        self.n += 1
        self.h = self.loop.call_soon(self.tick)

    def stop(self):
        self.h.cancel()


def msg(exc):
    """The message of an exception as the C++ twin prints it (`what()`): the first
    argument, "" when there is none."""
    return str(exc.args[0]) if exc.args else ""
