"""vtloop with a tie detector, for the gather/wait twins (twins/gw_*.py) and the fuzzer.

CPython orders timers with equal deadlines by heap position (R4), the C++ loop FIFO, so a
twin must never have two live timers due at the same instant. `StrictLoop.call_at` ends
the process with status TIE_EXIT (after a message on stderr) when a new timer's deadline
equals that of a scheduled, uncancelled one: an exception could be swallowed by the
program under test. Importing this module makes `vtloop.new_loop` and `vtloop.run` use
StrictLoop.
"""

import os
import sys

import vtloop
from vtloop import Ticker, VirtualTimeLoop, msg  # noqa: F401  (re-exported)

TIE_EXIT = 3


class StrictLoop(VirtualTimeLoop):
    def call_at(self, when, callback, *args, context=None):
        for h in self._scheduled:
            if h._when == when and not h._cancelled:
                sys.stdout.flush()
                print(f"gw_strict: two timers due at t={when!r}: {h!r} and {callback!r}",
                      file=sys.stderr, flush=True)
                os._exit(TIE_EXIT)
        return super().call_at(when, callback, *args, context=context)


def new_loop():
    """A fresh strict virtual-time loop (not set as the current loop)."""
    return StrictLoop()


vtloop.new_loop = new_loop
run = vtloop.run
