"""Runtime of the toolkit fuzz nodes (gen_tk.py) on top of fuzz_rt.py; tk_rt.hpp is its
C++ twin."""

from fuzz_rt import R, erepr


def tk_eg(eg):
    """The errors of an ExceptionGroup: [ValueError('L3'), EG[...]]."""
    return "[" + ", ".join(("EG" + tk_eg(e)) if isinstance(e, BaseExceptionGroup) else erepr(e)
                           for e in eg.exceptions) + "]"


def tk_track(name, task):
    """Registers a TaskGroup child as a cancel target."""
    R.h[name] = task
    return task


async def tk_await(aw):
    """A gather as a TaskGroup child (create_task wants a coroutine)."""
    return await aw
